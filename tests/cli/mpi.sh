#!/usr/bin/env bash
# The mpi scheduler under mpirun on this machine (ranks oversubscribed): the demo's output is
# identical to the serial run, for 2 and 4 ranks, and a rank count of 1 falls back to serial.
source "$(dirname "$0")/lib.bash"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1
export OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
# Open MPI's own allocations are not ours to chase under LeakSanitizer
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"

if ! command -v mpirun >/dev/null; then
    echo "mpirun not installed (openmpi-bin): nothing to test"
    echo "0 passed, 0 failed"
    exit 0
fi

same_as_serial() {
    "$BF" demo engine --items 30 --samples 3000 --max-batch 2 --scheduler serial --progress none \
        -o ref.txt || return 1
    for n in 2 4; do
        timeout -k 5 120 mpirun -n $n "$BF" demo engine --items 30 --samples 3000 --max-batch 2 \
            --scheduler mpi --progress none -o mpi$n.txt || return 1
        cmp ref.txt mpi$n.txt || { echo "$n ranks differ"; return 1; }
    done
}
check "mpirun -n 2 and 4 give the serial bytes" same_as_serial

resume_under_mpi() {
    timeout -k 5 120 mpirun -n 3 "$BF" demo engine --items 30 --samples 3000 --max-batch 2 \
        --scheduler mpi --progress none -o r.txt --journal r.journal || return 1
    timeout -k 5 120 mpirun -n 3 "$BF" demo engine --items 30 --samples 3000 --max-batch 2 \
        --scheduler mpi --progress none -o r.txt --journal r.journal --resume 2>log.txt || return 1
    cmp ref.txt r.txt
}
check "a resumed mpi run gives the same bytes" resume_under_mpi

single_rank() {
    "$BF" demo engine --items 30 --samples 3000 --max-batch 2 --scheduler mpi --progress none \
        -o one.txt 2>/dev/null && cmp ref.txt one.txt
}
check "one rank falls back to serial" single_rank

integrate_under_mpi() {
    "$BF" demo integrate --dir di --files 2 --frames 3 --progress none >/dev/null || return 1
    "$BF" integrate -p di/geometry.poni -n 300 -e poisson di/scan0001 -o serial --scheduler serial \
        --progress none >/dev/null || return 1
    timeout -k 5 120 mpirun -n 3 "$BF" integrate -p di/geometry.poni -n 300 -e poisson di/scan0001 \
        -o ranks --scheduler mpi --frames-per-unit 2 --progress none >/dev/null || return 1
    "$PY" -c '
import h5py, numpy
for f in ("ceo2_0000_azint.h5", "ceo2_0001_azint.h5"):
    a = h5py.File("serial/" + f, "r")["entry/data/I"][()]
    b = h5py.File("ranks/" + f, "r")["entry/data/I"][()]
    assert a.shape == (3, 300) and numpy.array_equal(a, b), f'
}
check "integrate under mpirun -n 3 writes the serial bytes" integrate_under_mpi

finish
