import sys, time
T0 = time.perf_counter()
marks = []
def wrap(modname, attr, label):
    import importlib
    mod = importlib.import_module(modname)
    f = getattr(mod, attr)
    def g(*a, **k):
        t = time.perf_counter()
        try: return f(*a, **k)
        finally: marks.append((label, t - T0, time.perf_counter() - t))
    setattr(mod, attr, g)
import checker.cli
T_imp = time.perf_counter() - T0
wrap('checker.engine', 'load_sources', 'load_sources')
wrap('checker.commands.check', 'resolve_settings', 'resolve_settings')
wrap('checker.commands.check', 'command_check', 'command_check')
wrap('checker.cli', 'build_parser', 'build_parser')
wrap('checker.gate', 'analyse', 'gate.analyse')
wrap('checker.commands.check', '_resolve_backend', 'resolve_backend')
wrap('checker.parsing', 'parse_statements', 'parse')
wrap('checker.simulator', 'simulate', 'simulate')
wrap('checker.engine', '_run_by_family', 'rules')
wrap('checker.commands.check', '_write_outputs', 'write_outputs')
wrap('checker.drift', 'prefetch_references', 'prefetch_refs')
wrap('checker.commands.check', '_load_selected_rules', 'load_selected_rules')
import atexit
def show():
    print(f"import checker.cli done at {T_imp:.3f}", file=sys.stderr)
    for label, start, dur in marks: print(f"{start:7.3f} +{dur:6.3f} {label}", file=sys.stderr)
    print(f"end {time.perf_counter()-T0:.3f}", file=sys.stderr)
atexit.register(show)
sys.argv = ['schema-check', 'check', '--format', 'json', '-o', '/dev/null', '--no-cache', '/work/shared/corpus/sim-upstream/migrations']
checker.cli.run()
