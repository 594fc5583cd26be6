"""Seeds the fuzz corpus with the golden vectors: each .bin prefixed by the selector byte of
its message type (its index in WireMessageCatalog.all, read from the Swift source)."""
import json, os, re, sys

vectors, catalog, out = sys.argv[1:4]
names = re.findall(r'\("(\w+)", \w+\.self\)', open(catalog).read())
os.makedirs(out, exist_ok=True)
for f in sorted(os.listdir(vectors)):
    if not f.endswith(".json"):
        continue
    kind = json.load(open(os.path.join(vectors, f)))["type"]
    body = open(os.path.join(vectors, f[:-5] + ".bin"), "rb").read()
    open(os.path.join(out, f[:-5]), "wb").write(bytes([names.index(kind)]) + body)
print(f"fuzz corpus: {len(os.listdir(out))} inputs in {out}")
