# The state the reference table uses: one state that succeeds without changes.
gwtest-ok:
  test.succeed_without_changes:
    - name: gwtest
