"""The Plex simulator as the benchmark runs it: the same server, with TCP_NODELAY on its connections.

The simulator writes a response's headers and body separately. With Nagle's algorithm on, a kept-alive
connection then waits for the client's delayed ACK (about 40 ms on Linux) before the body goes out,
which would add a delay to every Plex request that plex.tv itself doesn't have. The injected latency
(--latency) stands for plex.tv's response time.
"""

from devtools import plex_simulator

plex_simulator._Handler.disable_nagle_algorithm = True

if __name__ == "__main__":
    plex_simulator.main()
