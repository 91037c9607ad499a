# Test stand-in for AutoPi's network.wwan.qmi.config: writes the APN settings
# kept in the qmi grain into a qmi-network-style file inside the sandbox.
{%- set qmi = salt['grains.get']('qmi', {}) %}
wwan-qmi-config:
  file.managed:
    - name: {{ opts['root_dir'] }}/out/qmi-network.conf
    - makedirs: true
    - contents: |
        APN={{ qmi.get('apn', '') }}
        APN_USER={{ qmi.get('user', '') }}
        APN_PASS={{ qmi.get('pass', '') }}
        PIN={{ qmi.get('pin', '') }}
        MTU={{ qmi.get('mtu', '') }}
