"""The guide's Python 3.6 build, scripted: a side-effect-free plan, the host probe, the source
tarball, the step runner, verification of the result and the known causes of failure."""
