# Sourced by the benchmarks that time SpoofLens against a PyTorch peer
# (bench_precision.sh, bench_aasist.sh), after they set SL (the `spooflens`
# launcher) and PY. Gives the peer what the product gets, read once from
# `spooflens info --runtime --json`:
# - ptenv: a command prefix with OPENBLAS_CORETYPE = the kernels SpoofLens
#   picked (Debian 12's OpenBLAS 0.3.21 falls back to Prescott on these CPUs,
#   docs/cpu.md; PT_CORETYPE=none keeps OpenBLAS' own choice);
# - GLIBC_TUNABLES exported for both sides: the launcher's allocator settings
#   (docs/cpu.md, "Memory"); MALLOC=default runs both with glibc's defaults.
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
echo "PyTorch OpenBLAS kernels: ${PT_CORETYPE}; GLIBC_TUNABLES=${GLIBC_TUNABLES:-unset} for both"
