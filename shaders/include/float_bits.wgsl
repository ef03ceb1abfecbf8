// Float classes by bit pattern: compilers and SwiftShader may assume no NaN
// (x != x folds to false, max() and exp() drop NaN), bits cannot be folded.
fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
// NaN or +inf: the values that make a logsumexp NaN.
fn isNanOrPosInf(x: f32) -> bool { return isNan(x) || bitcast<u32>(x) == 0x7f800000u; }
// A NaN made at run time (a constant NaN does not compile); payload < 2^16.
fn runtimeNan(payload: u32) -> f32 { return bitcast<f32>(0x7fc00000u | (payload & 0xffffu)); }
