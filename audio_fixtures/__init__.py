"""The labelled audio fixture set: sentences, voices, noises and the generator (see README.md)."""
