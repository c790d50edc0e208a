#!/usr/bin/env python
"""Django's command-line utility (same as ``python -m minzheng.manage``)."""

from minzheng.manage import main

if __name__ == "__main__":
    main()
