"""The guide's Python 3.6 build, scripted. Read in this order: cli (options in, exit status
out; the only module that knows click), build (the steps in order, each logged and timed),
plan (every command and flag, free of side effects), host (the preflight probes), source
(download, checksum, extraction, the patches in patches/ applied with fuzz 0), run (one step
under a time limit), verify (the installed interpreter at the point of use) and causes (why a
step stopped, from its own log)."""
