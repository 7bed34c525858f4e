"""cxaudit: hold marketing back from customers who are in the middle of a support problem."""

__version__ = "0.1.0"
