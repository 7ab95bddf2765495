# Sourced by the benchmarks that time SpoofLens against a PyTorch peer
# (bench_precision.sh, bench_aasist.sh), after they set SL (the `spooflens`
# launcher) and PY. Gives the peer what the product gets, read once from
# `spooflens info --runtime --json`:
# - ptenv: a command prefix with OPENBLAS_CORETYPE = the kernels SpoofLens
#   picked (Debian 12's OpenBLAS 0.3.21 falls back to Prescott on these CPUs,
#   docs/cpu.md; PT_CORETYPE=none keeps OpenBLAS' own choice);
# - GLIBC_TUNABLES exported for both sides: the launcher's allocator settings
#   (docs/cpu.md, "Memory"); MALLOC=default runs both with glibc's defaults;
# - OMP_WAIT_POLICY exported: the launcher's libgomp wait policy (PASSIVE).
runtime_json=$("$SL" info --runtime --json 2>/dev/null || echo '{}')
runtime_field() {  # EXPR over the runtime object r, FALLBACK if it cannot be read
    $PY -c "import json,sys; r=json.loads(sys.argv[1]).get('runtime', {}); print($1)" "$runtime_json" 2>/dev/null || echo "$2"
}
PT_CORETYPE=${PT_CORETYPE:-$(runtime_field "r['blas'].split()[1]" none)}
ptenv=()
case $PT_CORETYPE in none|""|Prescott) ;; *) ptenv=(env OPENBLAS_CORETYPE="$PT_CORETYPE") ;; esac
if [ "${MALLOC:-launcher}" = launcher ]; then
    export GLIBC_TUNABLES=$(runtime_field "r['glibc_tunables']" "")
else
    unset GLIBC_TUNABLES
fi
# libgomp's wait policy: SpoofLens' launchers set PASSIVE unless the user chose one; PyTorch's
# libgomp spins otherwise, which under load costs it several times its idle time (docs/cpu.md,
# "Threads under load"), so the peer gets what SpoofLens reports it got.
export OMP_WAIT_POLICY=$(runtime_field "r['omp_wait_policy']" "${OMP_WAIT_POLICY:-PASSIVE}")
echo "PyTorch OpenBLAS kernels: ${PT_CORETYPE}; GLIBC_TUNABLES=${GLIBC_TUNABLES:-unset}; OMP_WAIT_POLICY=${OMP_WAIT_POLICY} for both"
