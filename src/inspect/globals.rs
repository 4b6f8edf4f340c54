//! Which Python globals a pickle may import, and what each says about loading it.
//!
//! Allow-list first: a global is `weights-only` when `torch.load(weights_only=True)` accepts it,
//! `known-safe` when the reference scanners' allow-lists (picklescan, fickling's ML list, the safe
//! builtins) contain it, `dangerous` when any deny-list names it (picklescan, modelscan, fickling;
//! both the Python 2 and 3 spellings), and `suspicious` otherwise. Deny-lists grow with every
//! advisory, so anything unknown is at least suspicious. Sources: `reference/weights.md` §3.3.

/// What importing one global means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Accepted by `torch.load(weights_only=True)`.
    WeightsOnly,
    /// On a reference allow-list.
    KnownSafe,
    /// On no list: loading imports code nobody vetted.
    Suspicious,
    /// On a deny-list: loading can run arbitrary code.
    Dangerous,
}

/// Exact globals `torch.load(weights_only=True)` accepts (besides the dtype, tensor and storage
/// families matched in [`is_weights_only`]).
const TORCH_EXACT: &[&str] = &[
    "collections.OrderedDict",
    "collections.Counter",
    "torch.nn.parameter.Parameter",
    "torch.serialization._get_layout",
    "torch.Size",
    "torch.Tensor",
    "torch.device",
    "_codecs.encode",
    "builtins.bytearray",
    "builtins.set",
    "builtins.complex",
    "torch.per_tensor_affine",
    "torch.per_tensor_symmetric",
    "torch.per_channel_affine",
    "torch.per_channel_symmetric",
    "torch.per_channel_affine_float_qparams",
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",
    "torch._utils._rebuild_qtensor",
    "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_tensor_v3",
    "torch._utils._rebuild_sparse_tensor",
    "torch._utils._rebuild_meta_tensor_no_storage",
    "torch._utils._rebuild_wrapper_subclass",
    "torch._utils._rebuild_device_tensor_from_numpy",
    "torch._utils._rebuild_device_tensor_from_cpu_tensor",
    "torch._tensor._rebuild_from_type_v2",
    "torch.storage.TypedStorage",
    "torch.storage.UntypedStorage",
];

/// torch dtypes (`torch.float32`...).
const TORCH_DTYPES: &[&str] = &[
    "float32",
    "float",
    "float64",
    "double",
    "float16",
    "half",
    "bfloat16",
    "complex32",
    "chalf",
    "complex64",
    "cfloat",
    "complex128",
    "cdouble",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "int8",
    "int16",
    "short",
    "int32",
    "int",
    "int64",
    "long",
    "bool",
    "quint8",
    "qint8",
    "qint32",
    "quint4x2",
    "quint2x4",
    "float8_e4m3fn",
    "float8_e4m3fnuz",
    "float8_e5m2",
    "float8_e5m2fnuz",
    "float8_e8m0fnu",
    "float4_e2m1fn_x2",
    "bits1x8",
    "bits2x4",
    "bits4x2",
    "bits8",
    "bits16",
];

/// Other known-safe globals: picklescan's safe list, fickling's ML allow-list, numpy arrays.
const KNOWN_SAFE: &[&str] = &[
    "numpy.dtype",
    "numpy.ndarray",
    "numpy.float64",
    "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray._reconstruct",
    "numpy._core.multiarray.scalar",
    "numpy.core.multiarray.scalar",
    "torch.storage._load_from_bytes",
    "collections.defaultdict",
    "collections.deque",
    "argparse.Namespace",
    "_io.BytesIO",
    "copyreg._reconstructor",
    "tokenizers.Tokenizer",
    "tokenizers.AddedToken",
    "__future__.division",
];

/// Builtins that construct plain data (fickling's `SAFE_BUILTINS`).
const SAFE_BUILTINS: &[&str] = &[
    "bool",
    "int",
    "float",
    "complex",
    "str",
    "bytes",
    "bytearray",
    "list",
    "tuple",
    "set",
    "frozenset",
    "dict",
    "len",
    "abs",
    "sum",
    "min",
    "max",
    "round",
    "pow",
    "divmod",
    "sorted",
    "reversed",
    "enumerate",
    "zip",
    "range",
    "map",
    "filter",
    "slice",
    "iter",
    "next",
    "all",
    "any",
    "hash",
    "id",
    "repr",
    "ascii",
    "bin",
    "hex",
    "oct",
    "ord",
    "chr",
    "isinstance",
    "issubclass",
    "object",
    "callable",
    "format",
];

/// Modules denied as a whole (and every submodule): picklescan's `*` entries, modelscan's
/// CRITICAL/HIGH modules, fickling's unsafe imports; Python 2 spellings included.
const DENY_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "sys",
    "subprocess",
    "commands",
    "pty",
    "popen2",
    "runpy",
    "code",
    "codeop",
    "marshal",
    "types",
    "importlib",
    "_frozen_importlib",
    "_frozen_importlib_external",
    "_imp",
    "imp",
    "pkgutil",
    "zipimport",
    "gc",
    "site",
    "inspect",
    "ctypes",
    "_ctypes",
    "_posixsubprocess",
    "multiprocessing",
    "socket",
    "ssl",
    "http",
    "httplib",
    "urllib",
    "urllib2",
    "requests",
    "aiohttp",
    "asyncio",
    "webbrowser",
    "smtplib",
    "imaplib",
    "ftplib",
    "poplib",
    "telnetlib",
    "nntplib",
    "socketserver",
    "SocketServer",
    "xmlrpc",
    "xmlrpclib",
    "pickle",
    "_pickle",
    "cPickle",
    "dill",
    "cloudpickle",
    "joblib",
    "shelve",
    "marshal",
    "shutil",
    "tempfile",
    "filecmp",
    "fileinput",
    "glob",
    "distutils",
    "pydoc",
    "pexpect",
    "pipes",
    "venv",
    "ensurepip",
    "pip",
    "idlelib",
    "lib2to3",
    "signal",
    "_signal",
    "threading",
    "_thread",
    "thread",
    "atexit",
    "sqlite3",
    "_sqlite3",
    "platform",
    "linecache",
    "compileall",
    "py_compile",
    "mmap",
    "select",
    "selectors",
    "syslog",
    "tarfile",
    "zipfile",
    "uuid",
    "_osx_support",
    "_aix_support",
    "_pyrepl",
    "bdb",
    "pdb",
    "cProfile",
    "profile",
    "timeit",
    "trace",
    "doctest",
    "unittest",
    "test",
    "numpy.f2py",
    "numpy.testing",
    "_interpreters",
    "_xxsubinterpreters",
    "builtins.__import__",
    "__builtin__.__import__",
    "operator",
    "_operator",
    "functools",
];

/// Specific names denied (canonical `module.name`, both spellings).
const DENY_NAMES: &[&str] = &[
    "builtins.eval",
    "builtins.exec",
    "builtins.compile",
    "builtins.getattr",
    "builtins.setattr",
    "builtins.delattr",
    "builtins.apply",
    "builtins.open",
    "builtins.breakpoint",
    "builtins.__import__",
    "builtins.globals",
    "builtins.locals",
    "builtins.vars",
    "builtins.input",
    "builtins.execfile",
    "builtins.file",
    "builtins.reload",
    "__builtin__.eval",
    "__builtin__.exec",
    "__builtin__.compile",
    "__builtin__.getattr",
    "__builtin__.setattr",
    "__builtin__.apply",
    "__builtin__.open",
    "__builtin__.execfile",
    "__builtin__.file",
    "__builtin__.__import__",
    "__builtin__.input",
    "logging.FileHandler",
    "_io.FileIO",
    "io.FileIO",
    "io.open",
    "_io.open",
    "codecs.open",
    "torch.serialization.load",
    "torch.load",
    "torch.hub.load",
    "torch.jit.load",
    "numpy.load",
    "numpy.loadtxt",
    "numpy.fromfile",
    "torch._dynamo.guards.GuardBuilder.get",
    "torch._inductor.codecache.compile_file",
    "torch.fx.experimental.symbolic_shapes.ShapeEnv.evaluate_guards_expression",
    "torch.jit.unsupported_tensor_ops.execWrapper",
    "torch.utils._config_module.ConfigModule.load_config",
    "torch.utils.bottleneck.__main__.run_cprofile",
    "torch.utils.bottleneck.__main__.run_autograd_prof",
    "torch.utils.collect_env.run",
    "torch.utils.data.datapipes.utils.decoder.basichandlers",
    "cloudpickle.cloudpickle._builtin_type",
    "cloudpickle.cloudpickle._make_function",
    "cloudpickle.cloudpickle.subimport",
    "code.InteractiveInterpreter.runcode",
    "doctest.debug_script",
    "ensurepip._run_pip",
    "imaplib.IMAP4_stream",
    "lib2to3.pgen2.grammar.Grammar.loads",
    "lib2to3.pgen2.pgen.ParserGenerator.make_label",
    "pkgutil.resolve_name",
    "keras.models.load_model",
    "keras.config.enable_unsafe_deserialization",
];

/// Python 2 module names the unpickler renames for protocols below 3 (`_compat_pickle`), where
/// the new name matters for classification.
const PY2_MODULES: &[(&str, &str)] = &[
    ("__builtin__", "builtins"),
    ("copy_reg", "copyreg"),
    ("cPickle", "pickle"),
    ("commands", "subprocess"),
    ("urllib2", "urllib.request"),
    ("httplib", "http.client"),
    ("Queue", "queue"),
    ("SocketServer", "socketserver"),
    ("ConfigParser", "configparser"),
    ("repr", "reprlib"),
    ("UserDict", "collections"),
    ("UserList", "collections"),
    ("UserString", "collections"),
    ("exceptions", "builtins"),
    ("thread", "_thread"),
    ("dummy_thread", "_dummy_thread"),
    ("xmlrpclib", "xmlrpc.client"),
    ("cookielib", "http.cookiejar"),
    ("urlparse", "urllib.parse"),
    ("StringIO", "io"),
    ("cStringIO", "io"),
    ("itertools", "itertools"),
];

/// Python 2 names that moved to another module.
const PY2_NAMES: &[(&str, &str)] = &[
    ("__builtin__.xrange", "builtins.range"),
    ("__builtin__.reduce", "functools.reduce"),
    ("__builtin__.intern", "sys.intern"),
    ("__builtin__.unichr", "builtins.chr"),
    ("__builtin__.unicode", "builtins.str"),
    ("__builtin__.long", "builtins.int"),
    ("__builtin__.basestring", "builtins.str"),
    ("__builtin__.raw_input", "builtins.input"),
    ("__builtin__.execfile", "builtins.exec"),
    ("itertools.izip", "builtins.zip"),
    ("itertools.imap", "builtins.map"),
    ("itertools.ifilter", "builtins.filter"),
    ("os.getcwdu", "os.getcwd"),
];

/// The full dotted name a global resolves to: `module.name`, with the renames Python applies to
/// protocol 0–2 pickles.
pub fn canonical(module: &str, name: &str, protocol: u8) -> String {
    let full = format!("{module}.{name}");
    if protocol >= 3 {
        return full;
    }
    if let Some((_, new)) = PY2_NAMES.iter().find(|(old, _)| *old == full) {
        return (*new).to_owned();
    }
    match PY2_MODULES.iter().find(|(old, _)| *old == module) {
        Some((_, new)) => format!("{new}.{name}"),
        None => full,
    }
}

/// True when `name` is `module` or inside it (`os.path.join` is inside `os`).
fn within(name: &str, module: &str) -> bool {
    name == module
        || (name.len() > module.len()
            && name.starts_with(module)
            && name.as_bytes()[module.len()] == b'.')
}

fn is_weights_only(name: &str) -> bool {
    if TORCH_EXACT.contains(&name) {
        return true;
    }
    let Some(rest) = name.strip_prefix("torch.") else {
        return false;
    };
    TORCH_DTYPES.contains(&rest)
        || (!rest.contains('.') && (rest.ends_with("Storage") || rest.ends_with("Tensor")))
        || rest
            .strip_prefix("cuda.")
            .is_some_and(|r| !r.contains('.') && (r.ends_with("Storage") || r.ends_with("Tensor")))
}

/// Classifies one canonical global.
pub fn classify(name: &str) -> Class {
    if is_weights_only(name) {
        return Class::WeightsOnly;
    }
    if DENY_NAMES.contains(&name) || DENY_MODULES.iter().any(|m| within(name, m)) {
        return Class::Dangerous;
    }
    if KNOWN_SAFE.contains(&name) {
        return Class::KnownSafe;
    }
    if let Some(builtin) = name
        .strip_prefix("builtins.")
        .or_else(|| name.strip_prefix("__builtin__."))
    {
        return if SAFE_BUILTINS.contains(&builtin) {
            Class::KnownSafe
        } else {
            Class::Suspicious
        };
    }
    if name.starts_with("torch.nn.modules.") {
        // Whole modules pickled by `torch.save(model)`: vetted classes, but loading them runs
        // their `__setstate__`; not weights-only.
        return Class::KnownSafe;
    }
    Class::Suspicious
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_usual_suspects() {
        assert_eq!(
            classify("torch._utils._rebuild_tensor_v2"),
            Class::WeightsOnly
        );
        assert_eq!(classify("torch.FloatStorage"), Class::WeightsOnly);
        assert_eq!(classify("torch.bfloat16"), Class::WeightsOnly);
        assert_eq!(classify("collections.OrderedDict"), Class::WeightsOnly);
        assert_eq!(
            classify("numpy.core.multiarray._reconstruct"),
            Class::KnownSafe
        );
        assert_eq!(classify("builtins.len"), Class::KnownSafe);
        assert_eq!(classify("os.system"), Class::Dangerous);
        assert_eq!(classify("posix.system"), Class::Dangerous);
        assert_eq!(
            classify("os.path.join"),
            Class::Dangerous,
            "submodules of a denied module"
        );
        assert_eq!(classify("builtins.exec"), Class::Dangerous);
        assert_eq!(classify("builtins.eval"), Class::Dangerous);
        assert_eq!(classify("subprocess.Popen"), Class::Dangerous);
        assert_eq!(classify("http.client.HTTPConnection"), Class::Dangerous);
        assert_eq!(classify("builtins.memoryview"), Class::Suspicious);
        assert_eq!(classify("mylib.Model"), Class::Suspicious);
        assert_eq!(
            classify("osmosis.Thing"),
            Class::Suspicious,
            "prefix match is by module component"
        );
    }

    #[test]
    fn python2_spellings_are_renamed_below_protocol_3() {
        assert_eq!(canonical("__builtin__", "eval", 2), "builtins.eval");
        assert_eq!(
            canonical("commands", "getoutput", 0),
            "subprocess.getoutput"
        );
        assert_eq!(canonical("__builtin__", "xrange", 2), "builtins.range");
        assert_eq!(canonical("__builtin__", "eval", 4), "__builtin__.eval");
        assert_eq!(
            classify(&canonical("__builtin__", "eval", 4)),
            Class::Dangerous,
            "denied in both spellings"
        );
    }
}
