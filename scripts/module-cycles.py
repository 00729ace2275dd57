#!/usr/bin/env python3
# Usage: scripts/module-cycles.py app/src server/src
# Lists pairs of modules (files) of a crate that import each other (through `crate::`
# or `super::`), and fails if there is one: a module tree without import circles.
import re,os,sys,itertools
def modules(root):
    mods={}
    for d,_,fs in os.walk(root):
        for f in fs:
            if f.endswith('.rs'):
                p=os.path.join(d,f); rel=os.path.relpath(p,root)[:-3]
                parts=rel.split('/')
                if parts[-1] in ('mod','lib','main'): parts=parts[:-1]
                mods['::'.join(parts)]=open(p).read()
    return mods
bad = False
for root in sys.argv[1:]:
    mods=modules(root); deps={}
    for m,src in mods.items():
        refs=set()
        src=re.sub(r'crate::\{([^}]*)\}', lambda g: ' '.join('crate::'+x.strip() for x in re.split(r',\s*(?![^{]*\})', g.group(1))), src)
        for path in re.findall(r'\bcrate::([a-z_][a-z0-9_:]*)',src):
            parts=path.split('::')
            for i in range(len(parts),0,-1):
                cand='::'.join(parts[:i])
                if cand in mods: refs.add(cand); break
        for path in re.findall(r'\bsuper::([a-z_][a-z0-9_:]*)',src):
            base=m.split('::')[:-1]
            if not os.path.exists(os.path.join(root,*m.split('::'),'mod.rs')): pass
            parts=base+path.split('::')
            for i in range(len(parts),0,-1):
                cand='::'.join(parts[:i])
                if cand in mods: refs.add(cand); break
        refs.discard(m); deps[m]=refs
    pairs=[(a,b) for a,b in itertools.combinations(sorted(mods),2) if b in deps[a] and a in deps[b] and not b.startswith(a+'::') and not a.startswith(b+'::')]
    print(root, "modules:", len(mods), "mutual imports:", pairs or "none")
    bad = bad or bool(pairs)
sys.exit(1 if bad else 0)
