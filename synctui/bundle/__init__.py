"""The support bundle ("Submit a Bug"): collect the device's state, strip what is secret or personal,
write it as one .tar.gz (optionally encrypted with age), and open it again read-only.

collect.py asks the agent through the same `AgentClient` as the dashboard; clean.py and pseudonyms.py
decide what may leave the device; screenshots.py renders the dashboard from the cleaned state; write.py
packs and encrypts; reader.py and client.py open a bundle as an `AgentClient` for `synctui open`.
"""
