//! Which Python globals a pickle may import, and what each says about loading it.
//!
//! A global is the pair the unpickler's `find_class(module, name)` receives, after the Python 2
//! renames ([`super::compat`]). Classification is on the pair, never on the two joined into one
//! dotted string: the unpickler imports `module` and then walks `name` attribute by attribute
//! (`CPython` 3.11 does that once a `PROTO 4` has been read, which any pickle can start with), so
//! `("torch.nn.modules.module", "torch.os.system")` is `os.system`, not a layer class.
//!
//! Allow-list first, exact pairs only: a global is `weights-only` when
//! `torch.load(weights_only=True)` accepts it, `known-safe` when it is on the audited list below
//! (each entry says why importing and calling it with any arguments runs no code of the pickle's
//! choosing), `dangerous` when a deny-list names it (the module, any module it is inside, or,
//! for a dotted name, any attribute path it walks through), and `suspicious` otherwise. Deny-lists
//! grow with every advisory, so anything unknown is at least suspicious. Sources:
//! `reference/weights.md` §3.3 and the modules' own code.

use std::fmt;

use super::compat;

/// What importing one global means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Accepted by `torch.load(weights_only=True)`.
    WeightsOnly,
    /// On the audited allow-list.
    KnownSafe,
    /// On no list: loading imports code nobody vetted.
    Suspicious,
    /// On a deny-list: loading can run arbitrary code.
    Dangerous,
}

/// One global as the unpickler resolves it: the module it imports and the (possibly dotted)
/// attribute path it then walks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Global {
    pub module: String,
    pub name: String,
}

impl Global {
    /// The pair `find_class` resolves for `module`/`name` read at protocol `protocol`.
    pub fn resolve(module: &str, name: &str, protocol: u8) -> Self {
        let (module, name) = compat::map(module, name, protocol);
        Global { module, name }
    }

    /// A global from its two parts, as given (no renames).
    pub fn new(module: &str, name: &str) -> Self {
        Global {
            module: module.to_owned(),
            name: name.to_owned(),
        }
    }

    /// What importing it means.
    pub fn class(&self) -> Class {
        classify(&self.module, &self.name)
    }

    /// Whether both parts are dotted Python identifiers, as every importable global's are:
    /// random bytes that happen to walk as an import almost never spell one.
    pub fn is_plausible(&self) -> bool {
        fn dotted(s: &str) -> bool {
            !s.is_empty()
                && s.split('.').all(|part| {
                    let mut chars = part.chars();
                    chars
                        .next()
                        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
                        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
                })
        }
        dotted(&self.module) && dotted(&self.name)
    }

    /// `torch.storage._load_from_bytes`: a second `torch.load` of bytes from the pickle.
    pub fn is_nested_loader(&self) -> bool {
        self.module == "torch.storage" && self.name == "_load_from_bytes"
    }

    /// `_codecs.encode`: protocol 2 writes `bytes` as `_codecs.encode(text, "latin1")`.
    pub fn is_codecs_encode(&self) -> bool {
        self.module == "_codecs" && self.name == "encode"
    }
}

/// `module.name`, or `module:name` when the name is an attribute path, so that the two readings
/// of a dotted string cannot be confused (Python's own `pkgutil.resolve_name` notation).
impl fmt::Display for Global {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.contains('.') {
            write!(f, "{}:{}", self.module, self.name)
        } else {
            write!(f, "{}.{}", self.module, self.name)
        }
    }
}

/// Exact pairs `torch.load(weights_only=True)` accepts (`torch/_weights_only_unpickler.py`,
/// `_get_allowed_globals`), besides the dtype, tensor and storage families below. Each rebuilds a
/// tensor, a parameter or a plain container from data: none imports or calls anything named by
/// the pickle except through its arguments, which are globals classified on their own.
/// `torch._tensor._rebuild_from_type_v2(func, type, args, state)` calls `func(*args)`, and
/// `_rebuild_tensor_v2` registers `backward_hooks`: both only ever receive objects the pickle
/// itself imported, so a dangerous callable there is already a dangerous global.
const TORCH_EXACT: &[(&str, &str)] = &[
    ("_codecs", "encode"),
    ("builtins", "bytearray"),
    ("builtins", "complex"),
    ("builtins", "set"),
    ("collections", "Counter"),
    ("collections", "OrderedDict"),
    ("torch", "Size"),
    ("torch", "Tensor"),
    ("torch", "device"),
    ("torch", "per_channel_affine"),
    ("torch", "per_channel_affine_float_qparams"),
    ("torch", "per_channel_symmetric"),
    ("torch", "per_tensor_affine"),
    ("torch", "per_tensor_symmetric"),
    ("torch._tensor", "_rebuild_from_type_v2"),
    ("torch._utils", "_rebuild_device_tensor_from_cpu_tensor"),
    ("torch._utils", "_rebuild_device_tensor_from_numpy"),
    ("torch._utils", "_rebuild_meta_tensor_no_storage"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"),
    ("torch._utils", "_rebuild_qtensor"),
    ("torch._utils", "_rebuild_sparse_tensor"),
    ("torch._utils", "_rebuild_tensor"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_tensor_v3"),
    ("torch._utils", "_rebuild_wrapper_subclass"),
    ("torch.nn.parameter", "Parameter"),
    ("torch.serialization", "_get_layout"),
    ("torch.storage", "TypedStorage"),
    ("torch.storage", "UntypedStorage"),
];

/// torch dtypes (`torch.float32`...): plain constants.
const TORCH_DTYPES: &[&str] = &[
    "bfloat16",
    "bits16",
    "bits1x8",
    "bits2x4",
    "bits4x2",
    "bits8",
    "bool",
    "cdouble",
    "cfloat",
    "chalf",
    "complex128",
    "complex32",
    "complex64",
    "double",
    "float",
    "float16",
    "float32",
    "float4_e2m1fn_x2",
    "float64",
    "float8_e4m3fn",
    "float8_e4m3fnuz",
    "float8_e5m2",
    "float8_e5m2fnuz",
    "float8_e8m0fnu",
    "half",
    "int",
    "int16",
    "int32",
    "int64",
    "int8",
    "long",
    "qint32",
    "qint8",
    "quint2x4",
    "quint4x2",
    "quint8",
    "short",
    "uint16",
    "uint32",
    "uint64",
    "uint8",
];

/// The element types of torch's legacy tensor and storage classes (`torch.FloatStorage`,
/// `torch.cuda.HalfTensor`...): classes that allocate memory and copy data into it.
const TORCH_CLASS_TYPES: &[&str] = &[
    "BFloat16",
    "Bool",
    "Byte",
    "Char",
    "ComplexDouble",
    "ComplexFloat",
    "Double",
    "Float",
    "Half",
    "Int",
    "Long",
    "QInt32",
    "QInt8",
    "QUInt2x4",
    "QUInt4x2",
    "QUInt8",
    "Short",
];

/// The audited allow-list beyond torch's: exact pairs, each safe to import and to call with any
/// arguments (and to `BUILD` on its instances), given that every callable it can receive is
/// itself a global of the pickle and classified on its own.
const KNOWN_SAFE: &[(&str, &str)] = &[
    // Constructs a dtype from a type string or a (kind, shape) pair; its `__setstate__` only
    // reads that tuple. Parsing a dtype string never imports anything.
    ("numpy", "dtype"),
    // Allocates an array; `__setstate__` copies raw bytes (object arrays take a list of objects,
    // never an embedded pickle).
    ("numpy", "ndarray"),
    // A scalar type: builds a number.
    ("numpy", "float64"),
    // `_reconstruct(subtype, shape, dtype)` allocates an empty array of `subtype`, an imported
    // class classified on its own; `scalar(dtype, bytes)` builds a number from raw bytes (for
    // the object dtype it returns the object it was given).
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    // A dict whose default factory runs only when code later reads a missing key; the factory
    // is an object of the pickle, so a dangerous one is a dangerous global already.
    ("collections", "defaultdict"),
    // A list-like container; construction only iterates its argument.
    ("collections", "deque"),
    // Sets the keyword arguments as attributes.
    ("argparse", "Namespace"),
    // An in-memory buffer initialised from bytes.
    ("_io", "BytesIO"),
    // `_reconstructor(cls, base, state)` calls `base.__new__(cls, state)` and
    // `base.__init__(obj, state)`: only methods of classes the pickle imported itself.
    // `__newobj__(cls, *args)` is `cls.__new__(cls, *args)`, the same for protocols 0 and 1.
    ("copyreg", "_reconstructor"),
    ("copyreg", "__newobj__"),
    // Hugging Face tokenizers rebuild from their JSON serialisation in Rust; no Python runs.
    ("tokenizers", "Tokenizer"),
    ("tokenizers", "AddedToken"),
    // A compiler flag object (`__future__.division`): not callable, holds two tuples.
    ("__future__", "division"),
];

/// Builtins that construct plain data from plain data (both spellings of the module). They call
/// nothing but the dunder methods (`__iter__`, `__int__`...) of their arguments, whose classes the
/// pickle had to import itself. Not here, although other scanners allow them: the higher-order
/// builtins (`map`, `filter`, `iter` with a sentinel, `next`, `sorted`, `min`, `max`) that call
/// an argument, `pow` (unbounded work), `getattr`/`vars`/`globals` and the rest of the
/// introspection builtins (reach any attribute), and `type` (creates classes).
const SAFE_BUILTINS: &[&str] = &[
    "bool",
    "bytearray",
    "bytes",
    "complex",
    "dict",
    "float",
    "frozenset",
    "int",
    "list",
    "object",
    "range",
    "set",
    "slice",
    "str",
    "tuple",
];

/// Modules denied as a whole (and every module or attribute inside them): process, file system,
/// network, interpreter and import machinery, code objects, nested unpicklers, debuggers, and the
/// modules of the reference deny-lists (picklescan, modelscan, fickling). Python 2 spellings are
/// listed too: at protocol 3 and later they are not renamed, and a Python 2 interpreter would
/// still import them.
const DENY_MODULES: &[&str] = &[
    "BaseHTTPServer",
    "CGIHTTPServer",
    "Cookie",
    "DocXMLRPCServer",
    "SimpleHTTPServer",
    "SimpleXMLRPCServer",
    "SocketServer",
    "Tkinter",
    "_aix_support",
    "_ctypes",
    "_frozen_importlib",
    "_frozen_importlib_external",
    "_imp",
    "_interpreters",
    "_operator",
    "_osx_support",
    "_pickle",
    "_posixsubprocess",
    "_pyrepl",
    "_signal",
    "_socket",
    "_sqlite3",
    "_ssl",
    "_thread",
    "_tkinter",
    "_winapi",
    "_winreg",
    "_xxsubinterpreters",
    "aiohttp",
    "antigravity",
    "anydbm",
    "asynchat",
    "asyncio",
    "asyncore",
    "atexit",
    "bdb",
    "bz2",
    "cPickle",
    "cProfile",
    "cffi",
    "cgi",
    "cgitb",
    "cloudpickle",
    "code",
    "codeop",
    "commands",
    "compileall",
    "cookielib",
    "ctypes",
    "dbhash",
    "dbm",
    "dill",
    "distutils",
    "doctest",
    "dumbdbm",
    "ensurepip",
    "fcntl",
    "filecmp",
    "fileinput",
    "ftplib",
    "functools",
    "gc",
    "gdbm",
    "genericpath",
    "glob",
    "gzip",
    "http",
    "httplib",
    "idlelib",
    "imaplib",
    "imp",
    "importlib",
    "inspect",
    "joblib",
    "keras.src.saving",
    "lib2to3",
    "linecache",
    "logging.config",
    "logging.handlers",
    "lzma",
    "macpath",
    "marshal",
    "mmap",
    "msvcrt",
    "multiprocessing",
    "nntplib",
    "nt",
    "ntpath",
    "nturl2path",
    "numpy.ctypeslib",
    "numpy.distutils",
    "numpy.f2py",
    "numpy.lib.format",
    "numpy.lib.npyio",
    "numpy.testing",
    "operator",
    "os",
    "os2emxpath",
    "pandas.core.computation",
    "pandas.io.pickle",
    "pdb",
    "pexpect",
    "pickle",
    "pip",
    "pipes",
    // `EntryPoint.load` and `load_entry_point` import whatever module an entry point names.
    "pkg_resources",
    "pkgutil",
    "platform",
    "popen2",
    "poplib",
    "posix",
    "posixpath",
    "profile",
    "pty",
    "py_compile",
    "pydoc",
    "requests",
    "resource",
    "runpy",
    "select",
    "selectors",
    "setuptools",
    "shelve",
    "shutil",
    "signal",
    "site",
    "smtpd",
    "smtplib",
    "socket",
    "socketserver",
    "sqlite3",
    "ssl",
    "subprocess",
    "sys",
    "syslog",
    "tarfile",
    "telnetlib",
    "tempfile",
    "termios",
    "test",
    "thread",
    "threading",
    "timeit",
    "tkinter",
    "torch._dynamo",
    "torch._inductor",
    "torch.distributed",
    "torch.fx",
    "torch.hub",
    "torch.package",
    "torch.utils.cpp_extension",
    "torch.utils.data.datapipes",
    "trace",
    "turtle",
    "turtledemo",
    "types",
    "unittest",
    "urllib",
    "urllib2",
    "uuid",
    "venv",
    "webbrowser",
    "whichdb",
    "winreg",
    "wsgiref",
    "xml.sax",
    "xmlrpc",
    "xmlrpclib",
    "zipfile",
    "zipimport",
];

/// Specific names denied, as (module, name) pairs; both spellings of the builtins module.
const DENY_NAMES: &[(&str, &str)] = &[
    ("__builtin__", "__import__"),
    ("__builtin__", "apply"),
    ("__builtin__", "compile"),
    ("__builtin__", "delattr"),
    ("__builtin__", "eval"),
    ("__builtin__", "exec"),
    ("__builtin__", "execfile"),
    ("__builtin__", "file"),
    ("__builtin__", "getattr"),
    ("__builtin__", "globals"),
    ("__builtin__", "input"),
    ("__builtin__", "locals"),
    ("__builtin__", "open"),
    ("__builtin__", "raw_input"),
    ("__builtin__", "reload"),
    ("__builtin__", "setattr"),
    ("__builtin__", "vars"),
    ("_io", "FileIO"),
    ("_io", "open"),
    ("_io", "open_code"),
    ("builtins", "__import__"),
    ("builtins", "apply"),
    ("builtins", "breakpoint"),
    ("builtins", "compile"),
    ("builtins", "delattr"),
    ("builtins", "eval"),
    ("builtins", "exec"),
    ("builtins", "execfile"),
    ("builtins", "exit"),
    ("builtins", "file"),
    ("builtins", "getattr"),
    ("builtins", "globals"),
    ("builtins", "help"),
    ("builtins", "input"),
    ("builtins", "locals"),
    ("builtins", "open"),
    ("builtins", "quit"),
    ("builtins", "reload"),
    ("builtins", "setattr"),
    ("builtins", "vars"),
    ("codecs", "open"),
    ("io", "FileIO"),
    ("io", "open"),
    ("io", "open_code"),
    ("keras.config", "enable_unsafe_deserialization"),
    ("keras.models", "load_model"),
    ("logging", "FileHandler"),
    ("numpy", "fromfile"),
    ("numpy", "load"),
    ("numpy", "loadtxt"),
    ("numpy", "memmap"),
    ("pandas", "eval"),
    ("pandas", "read_pickle"),
    ("torch", "load"),
    ("torch._C", "_load_for_lite_interpreter"),
    ("torch.classes", "load_library"),
    ("torch.jit", "load"),
    ("torch.jit.unsupported_tensor_ops", "execWrapper"),
    ("torch.ops", "load_library"),
    ("torch.serialization", "_legacy_load"),
    ("torch.serialization", "_load"),
    ("torch.serialization", "load"),
    // `torch.load(io.BytesIO(b), weights_only=False)`: dangerous unless every call's bytes are
    // in the pickle and inspected (see `Scan::class_of`).
    ("torch.storage", "_load_from_bytes"),
    ("torch.utils._config_module", "ConfigModule"),
    ("torch.utils.collect_env", "run"),
];

/// True when `name` is `module` or inside it (`os.path.join` is inside `os`).
fn within(name: &str, module: &str) -> bool {
    name == module
        || (name.len() > module.len()
            && name.starts_with(module)
            && name.as_bytes()[module.len()] == b'.')
}

/// A dotted path (`module.attr.attr`) some deny-list names, itself or a module it is inside.
fn denied_path(path: &str) -> bool {
    DENY_MODULES.iter().any(|m| within(path, m))
        || DENY_NAMES.iter().any(|(m, n)| {
            path.len() > m.len() + 1 && within(path, m) && within(&path[m.len() + 1..], n)
        })
}

fn is_weights_only(module: &str, name: &str) -> bool {
    if TORCH_EXACT.contains(&(module, name)) {
        return true;
    }
    match module {
        "torch" if TORCH_DTYPES.contains(&name) => true,
        "torch" | "torch.cuda" => name
            .strip_suffix("Storage")
            .or_else(|| name.strip_suffix("Tensor"))
            .is_some_and(|t| TORCH_CLASS_TYPES.contains(&t)),
        _ => false,
    }
}

/// A `__dunder__` attribute: the way from any object to its class, globals, builtins or code.
fn is_dunder(part: &str) -> bool {
    part.len() > 4 && part.starts_with("__") && part.ends_with("__")
}

/// Classifies what `find_class(module, name)` returns.
pub fn classify(module: &str, name: &str) -> Class {
    if is_weights_only(module, name) {
        return Class::WeightsOnly;
    }
    if denied_path(&format!("{module}.{name}")) {
        return Class::Dangerous;
    }
    // The name is walked attribute by attribute from the module: whatever it passes through
    // counts, so every tail of the path is checked as if it were imported directly
    // (`torch.nn.modules.module` + `torch.os.system` passes through `os.system`), and a dunder
    // on the way (`__globals__`, `__builtins__`, `__class__`) reaches anything.
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() > 1 {
        if parts.iter().any(|p| is_dunder(p)) {
            return Class::Dangerous;
        }
        for start in 0..parts.len() {
            if denied_path(&parts[start..].join(".")) {
                return Class::Dangerous;
            }
        }
    }
    if KNOWN_SAFE.contains(&(module, name)) {
        return Class::KnownSafe;
    }
    if matches!(module, "builtins" | "__builtin__") && SAFE_BUILTINS.contains(&name) {
        return Class::KnownSafe;
    }
    Class::Suspicious
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(module: &str, name: &str) -> Class {
        classify(module, name)
    }

    #[test]
    fn classifies_the_usual_suspects() {
        assert_eq!(of("torch._utils", "_rebuild_tensor_v2"), Class::WeightsOnly);
        assert_eq!(of("torch", "FloatStorage"), Class::WeightsOnly);
        assert_eq!(of("torch.cuda", "HalfTensor"), Class::WeightsOnly);
        assert_eq!(of("torch", "bfloat16"), Class::WeightsOnly);
        assert_eq!(of("collections", "OrderedDict"), Class::WeightsOnly);
        assert_eq!(of("pkg_resources", "load_entry_point"), Class::Dangerous);
        assert_eq!(
            of("numpy.core.multiarray", "_reconstruct"),
            Class::KnownSafe
        );
        assert_eq!(of("builtins", "int"), Class::KnownSafe);
        assert_eq!(of("os", "system"), Class::Dangerous);
        assert_eq!(of("posix", "system"), Class::Dangerous);
        assert_eq!(
            of("posixpath", "join"),
            Class::Dangerous,
            "os.path's module"
        );
        assert_eq!(of("os.path", "join"), Class::Dangerous);
        assert_eq!(of("builtins", "exec"), Class::Dangerous);
        assert_eq!(of("subprocess", "Popen"), Class::Dangerous);
        assert_eq!(of("http.client", "HTTPConnection"), Class::Dangerous);
        assert_eq!(of("builtins", "memoryview"), Class::Suspicious);
        assert_eq!(of("mylib", "Model"), Class::Suspicious);
        assert_eq!(
            of("osmosis", "Thing"),
            Class::Suspicious,
            "prefix match is by module component"
        );
    }

    #[test]
    fn dotted_names_are_attribute_paths() {
        assert_eq!(
            of("torch.nn.modules.module", "torch.os.system"),
            Class::Dangerous
        );
        assert_eq!(
            of("collections", "OrderedDict.__init__.__globals__"),
            Class::Dangerous
        );
        assert_eq!(of("torch.serialization", "pickle.loads"), Class::Dangerous);
        assert_eq!(of("torch", "os.system"), Class::Dangerous);
        assert_eq!(of("mylib", "Outer.Inner"), Class::Suspicious);
        // Not on any list as a pair, even though the joined string is.
        assert_eq!(of("torch", "_utils._rebuild_tensor_v2"), Class::Suspicious);
        assert_eq!(
            of("numpy", "core.multiarray._reconstruct"),
            Class::Suspicious
        );
        assert_eq!(of("torch.nn.modules.linear", "Linear"), Class::Suspicious);
    }

    #[test]
    fn the_allow_list_holds_no_loader_and_no_higher_order_builtin() {
        for (module, name) in [
            ("torch.storage", "_load_from_bytes"),
            ("builtins", "map"),
            ("builtins", "filter"),
            ("builtins", "next"),
            ("builtins", "iter"),
            ("builtins", "getattr"),
            ("builtins", "type"),
        ] {
            assert!(
                of(module, name) >= Class::Suspicious,
                "{module}.{name} must not be allow-listed"
            );
        }
    }

    #[test]
    fn python2_spellings_are_renamed_below_protocol_3() {
        assert_eq!(
            Global::resolve("__builtin__", "eval", 2).to_string(),
            "builtins.eval"
        );
        assert_eq!(
            Global::resolve("commands", "getoutput", 0).to_string(),
            "subprocess.getoutput"
        );
        assert_eq!(
            Global::resolve("__builtin__", "eval", 4).to_string(),
            "__builtin__.eval"
        );
        assert_eq!(
            Global::resolve("__builtin__", "eval", 4).class(),
            Class::Dangerous
        );
        assert_eq!(
            Global::resolve("SimpleHTTPServer", "test", 4).class(),
            Class::Dangerous
        );
        assert_eq!(
            Global::resolve("SimpleHTTPServer", "test", 2).class(),
            Class::Dangerous
        );
    }
}
