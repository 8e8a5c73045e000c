"""Data sets the book uses, all loaded offline from installed packages."""
from hclib.data._files import stratified_subset
from hclib.data.chinese import (bmes_to_bio, load_chinese_reviews, load_msra, load_peoples_daily_silver,
                                load_peoples_daily_text)
from hclib.data.credit import load_credit
from hclib.data.fashion_mnist import CLASSES as FASHION_CLASSES
from hclib.data.fashion_mnist import load_fashion_mnist
from hclib.data.reviews import load_reviews, review_splits

__all__ = ["FASHION_CLASSES", "bmes_to_bio", "load_chinese_reviews", "load_credit", "load_fashion_mnist",
           "load_msra", "load_peoples_daily_silver", "load_peoples_daily_text", "load_reviews",
           "review_splits", "stratified_subset"]
