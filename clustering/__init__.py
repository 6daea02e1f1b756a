"""The math of Consult: opinion groups, consensus, routing. Pure numpy/scipy/scikit-learn.

Never imports Flask or `consult` (DESIGN.md §2).
"""
