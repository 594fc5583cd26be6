import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # Clients/python: the `trailmark` package
sys.path.insert(0, HERE)
