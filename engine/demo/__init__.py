"""The demo city hall: its departments, people and requests left mid-way, loaded by
`circuit demo`.
"""
