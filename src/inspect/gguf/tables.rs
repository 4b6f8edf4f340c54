//! The ggml tables a GGUF header refers to: tensor types (block size and bytes per block, from
//! `include/ggml.h` and `ggml-common.h`) and llama.cpp's `general.file_type` names.

/// ggml tensor types by id (`include/ggml.h`): name, elements per block, bytes per block.
/// `None` marks removed ids (`Q4_2`, `Q4_3` and the repacked `Q4_0` / `IQ4_NL` variants).
#[rustfmt::skip]
pub(super) const GGML_TYPES: [Option<(&str, u64, u64)>; 43] = [
    Some(("F32", 1, 4)), Some(("F16", 1, 2)), Some(("Q4_0", 32, 18)), Some(("Q4_1", 32, 20)),
    None, None, Some(("Q5_0", 32, 22)), Some(("Q5_1", 32, 24)), Some(("Q8_0", 32, 34)),
    Some(("Q8_1", 32, 36)), Some(("Q2_K", 256, 84)), Some(("Q3_K", 256, 110)),
    Some(("Q4_K", 256, 144)), Some(("Q5_K", 256, 176)), Some(("Q6_K", 256, 210)),
    Some(("Q8_K", 256, 292)), Some(("IQ2_XXS", 256, 66)), Some(("IQ2_XS", 256, 74)),
    Some(("IQ3_XXS", 256, 98)), Some(("IQ1_S", 256, 50)), Some(("IQ4_NL", 32, 18)),
    Some(("IQ3_S", 256, 110)), Some(("IQ2_S", 256, 82)), Some(("IQ4_XS", 256, 136)),
    Some(("I8", 1, 1)), Some(("I16", 1, 2)), Some(("I32", 1, 4)), Some(("I64", 1, 8)),
    Some(("F64", 1, 8)), Some(("IQ1_M", 256, 56)), Some(("BF16", 1, 2)), None, None, None,
    Some(("TQ1_0", 256, 54)), Some(("TQ2_0", 256, 66)), None, None, None,
    Some(("MXFP4", 32, 17)), Some(("NVFP4", 64, 36)), Some(("Q1_0", 128, 18)),
    Some(("Q2_0", 64, 18)),
];

/// llama.cpp's `llama_ftype` (`general.file_type`) by number, without the `LLAMA_FTYPE_` prefix
/// (1024 is `GUESSED`). Not ggml's `GGML_FTYPE`, which numbers differently.
#[rustfmt::skip]
pub(super) const FILE_TYPES: [Option<&str>; 42] = [
    Some("ALL_F32"), Some("MOSTLY_F16"), Some("MOSTLY_Q4_0"), Some("MOSTLY_Q4_1"),
    Some("MOSTLY_Q4_1_SOME_F16"), None, None, Some("MOSTLY_Q8_0"), Some("MOSTLY_Q5_0"),
    Some("MOSTLY_Q5_1"), Some("MOSTLY_Q2_K"), Some("MOSTLY_Q3_K_S"), Some("MOSTLY_Q3_K_M"),
    Some("MOSTLY_Q3_K_L"), Some("MOSTLY_Q4_K_S"), Some("MOSTLY_Q4_K_M"), Some("MOSTLY_Q5_K_S"),
    Some("MOSTLY_Q5_K_M"), Some("MOSTLY_Q6_K"), Some("MOSTLY_IQ2_XXS"), Some("MOSTLY_IQ2_XS"),
    Some("MOSTLY_Q2_K_S"), Some("MOSTLY_IQ3_XS"), Some("MOSTLY_IQ3_XXS"), Some("MOSTLY_IQ1_S"),
    Some("MOSTLY_IQ4_NL"), Some("MOSTLY_IQ3_S"), Some("MOSTLY_IQ3_M"), Some("MOSTLY_IQ2_S"),
    Some("MOSTLY_IQ2_M"), Some("MOSTLY_IQ4_XS"), Some("MOSTLY_IQ1_M"), Some("MOSTLY_BF16"),
    None, None, None, Some("MOSTLY_TQ1_0"), Some("MOSTLY_TQ2_0"), Some("MOSTLY_MXFP4_MOE"),
    Some("MOSTLY_NVFP4"), Some("MOSTLY_Q1_0"), Some("MOSTLY_Q2_0"),
];

pub(super) fn ggml_type(id: u32) -> Option<(&'static str, u64, u64)> {
    GGML_TYPES.get(usize::try_from(id).ok()?).copied().flatten()
}

/// A ggml type's name; removed and unknown ids print as `type_<n>`.
pub(super) fn ggml_type_name(id: u32) -> String {
    ggml_type(id).map_or_else(|| format!("type_{id}"), |(name, _, _)| name.to_owned())
}

pub(super) fn file_type_name(id: u64) -> String {
    let known = match id {
        1024 => Some("GUESSED"),
        _ => usize::try_from(id)
            .ok()
            .and_then(|i| FILE_TYPES.get(i).copied().flatten()),
    };
    known.map_or_else(|| format!("ftype_{id}"), str::to_owned)
}
