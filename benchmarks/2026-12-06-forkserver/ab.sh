#!/bin/bash
cd /work/wt/forkserver
TESTS="tests/integration/test_node_identity.py tests/integration/test_ipfs_api.py tests/integration/test_recon.py tests/integration/test_bans.py"
for i in 1 2; do
  for mode in 0 1; do
    out=/tmp/fs/ab_${mode}_$i
    rm -f $out.jsonl
    echo "run $i mode $mode start $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> /tmp/fs/ab.log
    FAKENET_FORKSERVER=$mode FAKENET_CPU_LEDGER=$out.jsonl timeout 900 .venv/bin/python -m pytest -n 0 -q -p support.cpu_ledger $TESTS > $out.txt 2>&1
    echo "run $i mode $mode rc=$? end $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg) $(tail -1 $out.txt) $(.venv/bin/python tests/support/cpu_ledger.py $out.jsonl | head -1)" >> /tmp/fs/ab.log
  done
done
