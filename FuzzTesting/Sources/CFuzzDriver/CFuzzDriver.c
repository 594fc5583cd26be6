// Intentionally empty: the module only declares libFuzzer's driver entry (see the header).
#include "CFuzzDriver.h"
