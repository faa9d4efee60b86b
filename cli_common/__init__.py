"""What the project's command lines share (click types, error handling, verbosity); the libraries below never
import click."""
