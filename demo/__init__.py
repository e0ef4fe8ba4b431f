"""Demo data and benchmarks: the top layer, beside the project wiring.

``seed_demo`` builds the demo tenants; the ``bench_*`` commands make throwaway data and print
figures. Nothing in the apps below imports this package (an import contract says so).
"""
