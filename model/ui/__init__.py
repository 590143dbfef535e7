"""The planner's workspace in the browser (``python solve.py ui``): presentation only, the top layer.

It shows scenario files, the command line's runs and their files; it holds no model logic.
"""
