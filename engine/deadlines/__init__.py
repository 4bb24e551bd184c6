"""Dates only: the legal calendar (Civil Procedure Code art. 181 counting, Romania's public
holidays) and the bridge days the Government declares, read as data. Nothing here writes
to the database except the bridge days' own rows.
"""
