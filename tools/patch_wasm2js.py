#!/usr/bin/env python3
"""Patch binaryen wasm2js output so memory growth detaches the old ArrayBuffer.

wasm2js grows memory by copying into a new ArrayBuffer but leaves the old one attached, so
wasm-bindgen's cached views keep writing into the stale buffer (wrong results on large inputs,
or `abort at wasm2js_trap`). wasm-bindgen refreshes its views when the old buffer's
byteLength is 0, which is what detaching gives. See README "Architecture".
"""
import re, sys

path = sys.argv[1]
src = open(path).read()
# wasm2js emits: `var newBuffer = new ArrayBuffer(...); var newHEAP8 = new Int8Array(newBuffer);
# newHEAP8.set(HEAP8); HEAP8 = newHEAP8; ... buffer = newBuffer; ...`
pattern = re.compile(r"(\bbuffer\s*=\s*newBuffer\s*;)")
if not pattern.search(src):
    sys.exit(f"patch_wasm2js: no memory-growth site found in {path}; wasm2js output changed?")
src = pattern.sub(
    r"{ const old = buffer; \1 try { structuredClone(old, { transfer: [old] }); } catch (e) {} }",
    src,
)
open(path, "w").write(src)
