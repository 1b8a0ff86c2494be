import sys, time
import checker.git_base as G
T={}
def wrap(name):
    f=getattr(G,name)
    def g(*a,**k):
        t=time.perf_counter(); r=f(*a,**k); T[name]=T.get(name,0)+time.perf_counter()-t; return r
    setattr(G,name,g)
for n in ('_extract_all','_extract','_manifests_above','_files_under','_merge_base','_repository_root'): wrap(n)
import atexit; atexit.register(lambda: print({k: round(v*1000,1) for k,v in T.items()}, file=sys.stderr))
sys.argv = ['schema-check', 'check', '--format', 'json', '-o', '/dev/null', '--since', 'HEAD', 'migrations']
import checker.cli; checker.cli.run()
