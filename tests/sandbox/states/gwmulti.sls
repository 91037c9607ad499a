# Several states in order, some slow enough to see progress.
{% for i in range(4) %}
gwmulti-step-{{ i }}:
  test.succeed_with_changes:
    - name: step{{ i }}
gwmulti-wait-{{ i }}:
  cmd.run:
    - name: sleep 0.2
{% endfor %}
