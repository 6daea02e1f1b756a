"""The rules of Consult: plain arguments in, models or plain values out, typed errors raised.

Views, the API and the CLI all go through these functions; none of them reads `request`.
"""
