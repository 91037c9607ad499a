# One state passes, one fails: for failure reporting.
gwfail-ok:
  test.succeed_without_changes:
    - name: fine
gwfail-bad:
  test.fail_without_changes:
    - name: broken
