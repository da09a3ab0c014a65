#!/usr/bin/env bash
# The engine demo on 4 MPI ranks of this machine: rank 0 owns the run (journal, output, progress),
# ranks 1-3 work. The output is byte for byte the serial one.
set -euo pipefail
bf=${BF:-build/bin/beamflow}
# as root inside containers Open MPI needs to be told it may run
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1} OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun --oversubscribe -n 4 "$bf" demo engine --scheduler mpi --items 512 -o demo-mpi.txt
"$bf" demo engine --scheduler serial --items 512 -o demo-serial.txt --progress none
cmp demo-mpi.txt demo-serial.txt && echo "mpi and serial outputs are identical"
