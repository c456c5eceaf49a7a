"""scale_out"""
