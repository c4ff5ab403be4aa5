"""What a run produces: the Result and its frames, reasons, forum table, risk, summary,
the comparison of two engines, and the text printed in the terminal.
"""
