"""``python -m tradewind`` is the same CLI as ``tradewind``."""

from tradewind.interfaces.cli.app import main

main()
