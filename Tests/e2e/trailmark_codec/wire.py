"""The wire primitives of WIRE.md § 2 and § 3: varints, zigzag, tags, length-delimited fields,
a cursor over a message body and the reader of its fields; and the decoding error of § 8."""

U64 = (1 << 64) - 1


class WireError(Exception):
    """A decoding failure: a WIRE.md § 8 code and a field path."""

    def __init__(self, code, field=""):
        super().__init__(f"{code} at {field or '<message>'}")
        self.code = code
        self.field = field


def join_path(path, name):
    if not path:
        return name
    return path + name if name.startswith("[") else path + "." + name


# ------------------------------------------------------------------ varints (§ 3.1) ----

def varint(n):
    if n < 0 or n > U64:
        raise ValueError(f"varint out of range: {n}")
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def zigzag(n):
    n &= U64  # two's complement bit pattern of an int64
    signed = n - (1 << 64) if n >> 63 else n
    return ((signed << 1) ^ (signed >> 63)) & U64


def unzigzag(u):
    return (u >> 1) ^ -(u & 1)


def to_i64(n):
    n &= U64
    return n - (1 << 64) if n >> 63 else n


class Reader:
    """A cursor over one message (or column) body; `path` names it in errors."""

    def __init__(self, data, path=""):
        self.data = data
        self.pos = 0
        self.end = len(data)
        self.path = path

    def left(self):
        return self.end - self.pos

    def varint(self, path=None):
        path = self.path if path is None else path
        result = shift = 0
        for i in range(10):
            if self.pos >= self.end:
                raise WireError("truncated", path)
            b = self.data[self.pos]
            self.pos += 1
            if i == 9 and b > 1:
                raise WireError("malformedVarint", path)
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                if i > 0 and b == 0:
                    raise WireError("malformedVarint", path)
                return result
        raise WireError("malformedVarint", path)

    def take(self, n, path=None):
        if n > self.left():
            raise WireError("truncated", self.path if path is None else path)
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out


def utf8(raw, path):
    try:
        return bytes(raw).decode("utf-8")  # strict: rejects overlongs, surrogates, > U+10FFFF
    except UnicodeDecodeError:
        raise WireError("invalidUTF8", path) from None


# ------------------------------------------------------------- tags and fields (§ 2) ----

def tag(num, wt):
    return varint(num << 3 | wt)


def ld(num, payload):
    return tag(num, 2) + varint(len(payload)) + payload


def read_fields(data, path):
    """The (number, wire type, value) of every field of a message body, in order."""
    r = Reader(data, path)
    out = []
    while r.left():
        key = r.varint()
        num, wt = key >> 3, key & 7
        if num == 0 or num >= 1 << 29:
            raise WireError("invalidValue", path)
        if wt == 0:
            val = r.varint()
        elif wt == 1:
            val = r.take(8)
        elif wt == 2:
            ln = r.varint()
            val = r.take(ln)
        elif wt == 5:
            val = r.take(4)
        else:
            raise WireError("wrongWireType", path)
        out.append((num, wt, val))
    return out
