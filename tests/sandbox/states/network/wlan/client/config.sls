# Test stand-in for AutoPi's network.wlan.client.config: renders the networks
# stored in the wpa_supplicant:networks grain into a wpa_supplicant-style file
# inside the sandbox, as the device's state writes /etc/wpa_supplicant.conf.
wlan-client-config:
  file.managed:
    - name: {{ opts['root_dir'] }}/out/wpa_supplicant.conf
    - makedirs: true
    - contents: |
        ctrl_interface=DIR=/var/run/wpa_supplicant
        {%- for net in salt['grains.get']('wpa_supplicant:networks', []) %}
        network={
            ssid="{{ net.ssid }}"
            psk="{{ net.psk }}"
            priority={{ net.priority }}
        }
        {%- endfor %}
