# Eight states that each print about 1.5 MB: their progress lines are large
# enough to fill a non-reading client's socket buffers (progress_dropped).
{% for i in range(8) %}
gwbig-{{ i }}:
  cmd.run:
    - name: head -c 1500000 /dev/zero | tr '\0' x
{% endfor %}
