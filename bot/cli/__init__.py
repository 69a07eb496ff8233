"""The ``madoguchi`` command line. Each module registers its commands on the one Typer app."""
