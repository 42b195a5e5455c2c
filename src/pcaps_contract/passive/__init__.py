"""passive"""
