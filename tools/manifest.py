#!/usr/bin/env python3
"""Turn extension/manifest.json (one template for both browsers) into one browser's manifest.

Keys prefixed `__chrome__` / `__firefox__` are kept (without the prefix) only for that browser,
and so are list items (strings) with such a prefix (e.g. a permission only one browser knows);
`"__PORTAL_MATCHES__"` becomes the match-pattern list from extension/hosts.txt.
"""
import json, sys

browser, template, hosts_file = sys.argv[1:4]
hosts = [l.strip() for l in open(hosts_file) if l.strip() and not l.startswith("#")]

def transform(node):
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            for b in ("chrome", "firefox"):
                prefix = f"__{b}__"
                if k.startswith(prefix):
                    if b == browser:
                        out[k[len(prefix):]] = transform(v)
                    break
            else:
                out[k] = transform(v)
        return out
    if isinstance(node, list):
        out = []
        for v in node:
            if isinstance(v, str) and v.startswith(("__chrome__", "__firefox__")):
                b, _, item = v[2:].partition("__")
                if b == browser:
                    out.append(item)
            else:
                out.append(transform(v))
        return out
    if node == "__PORTAL_MATCHES__":
        return list(hosts)
    return node

print(json.dumps(transform(json.load(open(template))), indent=2, ensure_ascii=False))
