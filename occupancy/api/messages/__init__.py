"""UI strings of each feature, one module per feature, merged into ``i18n.MESSAGES``.

A module here exports ``MESSAGES = {"zh-CN": {...}, "en": {...}}``; keeping features apart lets
each page's strings live next to each other without one ever-growing dict.
"""
