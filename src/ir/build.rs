//! Smart constructors for IR expressions.
pub(crate) use crate::derive::{
    add, bin, div, had, haddiv, ind0, mul, neg, num, num_r, ones, scale, sub, un, zeros,
};
