//! The compute backends, chosen by cargo feature and, when several are built, by `--backend`:
//! ndarray (float64 by default, float32 on request), flex (float32), wgpu (float32, GPUs) and
//! cuda (float32, NVIDIA GPUs).

use burn::{backend::Autodiff, tensor::backend::AutodiffBackend};
use serde::{Deserialize, Serialize};

/// The default backend models are evaluated on (no gradient tracking): ndarray in float64.
#[cfg(feature = "ndarray")]
pub type Eval = burn::backend::NdArray<f64>;

/// The default backend models train on: [`Eval`] with reverse-mode autodiff.
pub type Train = Autodiff<Eval>;

/// The device of the default backend.
pub fn device() -> burn::tensor::Device<Eval> {
    Default::default()
}

/// What a run actually computed on, recorded in its summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendInfo {
    pub backend: String,
    pub device: String,
    pub precision: String,
}

impl BackendInfo {
    /// The default backend.
    pub fn current() -> Self {
        Self {
            backend: "ndarray".into(),
            device: format!("{:?}", device()),
            precision: "f64".into(),
        }
    }

    /// Whether results are expected to match numpy's float64 reference to the printed digit.
    pub fn is_exact(&self) -> bool {
        self.precision == "f64"
    }
}

/// A backend this build can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    /// ndarray, float64: exact reproduction.
    Ndarray,
    /// ndarray, float32.
    NdarrayF32,
    Flex,
    Wgpu,
    /// Burn's CUDA backend, float32 (NVIDIA GPUs; builds without one).
    Cuda,
}

impl BackendChoice {
    pub fn name(self) -> &'static str {
        match self {
            Self::Ndarray => "ndarray",
            Self::NdarrayF32 => "ndarray-f32",
            Self::Flex => "flex",
            Self::Wgpu => "wgpu",
            Self::Cuda => "cuda",
        }
    }

    /// The backend and precision this choice computes in (the device is known once it starts).
    pub fn info(self) -> BackendInfo {
        let (backend, precision) = match self {
            Self::Ndarray => ("ndarray", "f64"),
            Self::NdarrayF32 => ("ndarray", "f32"),
            Self::Flex => ("flex", "f32"),
            Self::Wgpu => ("wgpu", "f32"),
            Self::Cuda => ("cuda", "f32"),
        };
        BackendInfo {
            backend: backend.into(),
            device: "(not started)".into(),
            precision: precision.into(),
        }
    }

    /// The backends compiled into this build, the default first.
    pub fn available() -> Vec<Self> {
        let mut all = Vec::new();
        if cfg!(feature = "ndarray") {
            all.extend([Self::Ndarray, Self::NdarrayF32]);
        }
        if cfg!(feature = "flex") {
            all.push(Self::Flex);
        }
        if cfg!(feature = "wgpu") {
            all.push(Self::Wgpu);
        }
        if cfg!(feature = "cuda") {
            all.push(Self::Cuda);
        }
        all
    }
}

impl std::str::FromStr for BackendChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let all = [
            Self::Ndarray,
            Self::NdarrayF32,
            Self::Flex,
            Self::Wgpu,
            Self::Cuda,
        ];
        let choice = all.into_iter().find(|c| c.name() == s).ok_or_else(|| {
            format!("unknown backend `{s}`; allowed: ndarray, ndarray-f32, flex, wgpu, cuda")
        })?;
        if !Self::available().contains(&choice) {
            let feature = if choice == Self::NdarrayF32 {
                "ndarray"
            } else {
                choice.name()
            };
            let built: Vec<&str> = Self::available().iter().map(|c| c.name()).collect();
            return Err(format!(
                "backend `{s}` is not built in; this build has: {}. Rebuild with `--features {feature}` (e.g. `cargo run --release --features {feature} -- run ...`)",
                built.join(", ")
            ));
        }
        Ok(choice)
    }
}

/// Work that runs on whichever backend was chosen.
pub trait BackendTask {
    type Output;
    fn run<B: AutodiffBackend>(self, device: B::Device, info: BackendInfo) -> Self::Output;
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error(
        "no usable wgpu adapter: {0}. Install a GPU driver with Vulkan support, or Mesa's software \
         Vulkan driver (Debian: `apt-get install mesa-vulkan-drivers`) and set ACTLAB_WGPU_DEVICE=cpu, \
         or run on the CPU with `--backend ndarray`"
    )]
    NoAdapter(String),
    #[error(
        "no usable CUDA device (Burn's CUDA runtime failed to start: {0}). Install NVIDIA's \
         driver on a machine with an NVIDIA GPU, or run on the CPU with `--backend ndarray`"
    )]
    NoCuda(String),
}

/// Whether `device` computes: a tiny sum, with a panic (how Burn's GPU backends report a
/// missing driver or adapter) caught and its message kept instead of printed.
#[cfg(any(feature = "wgpu", feature = "cuda"))]
fn started<B: burn::tensor::backend::Backend>(device: &B::Device) -> Result<(), String> {
    // The panic hook is the process's: one probe at a time swaps it.
    static PROBING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _probing = PROBING.lock().unwrap_or_else(|e| e.into_inner());
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let probe = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        burn::tensor::Tensor::<B, 1>::from_floats([1.0, 2.0], device)
            .sum()
            .into_scalar()
    }));
    std::panic::set_hook(previous);
    probe.map(|_| ()).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the device could not start".into())
    })
}

/// Whether `choice` computes on this machine, found on a tiny tensor: called before a run or
/// sweep claims its folder, so that a missing driver leaves nothing behind. The CPU backends
/// always do.
pub fn check(choice: BackendChoice) -> Result<(), BackendError> {
    // Probed once per process and backend: the points of a sweep check in parallel.
    static STARTED: std::sync::Mutex<Vec<BackendChoice>> = std::sync::Mutex::new(Vec::new());
    let mut started = STARTED.lock().unwrap_or_else(|e| e.into_inner());
    if started.contains(&choice) {
        return Ok(());
    }
    probe(choice)?;
    started.push(choice);
    Ok(())
}

/// [`check`] without the memory of earlier probes.
fn probe(choice: BackendChoice) -> Result<(), BackendError> {
    match choice {
        #[cfg(feature = "wgpu")]
        BackendChoice::Wgpu => {
            started::<burn::backend::Wgpu>(&wgpu::device()).map_err(BackendError::NoAdapter)
        }
        #[cfg(feature = "cuda")]
        BackendChoice::Cuda => {
            started::<burn::backend::Cuda>(&Default::default()).map_err(BackendError::NoCuda)
        }
        _ => Ok(()),
    }
}

/// Runs `task` on `choice`.
pub fn dispatch<T: BackendTask>(choice: BackendChoice, task: T) -> Result<T::Output, BackendError> {
    match choice {
        #[cfg(feature = "ndarray")]
        BackendChoice::Ndarray => Ok(task.run::<Train>(device(), BackendInfo::current())),
        #[cfg(feature = "ndarray")]
        BackendChoice::NdarrayF32 => {
            let info = BackendInfo {
                backend: "ndarray".into(),
                device: "Cpu".into(),
                precision: "f32".into(),
            };
            Ok(task.run::<Autodiff<burn::backend::NdArray<f32>>>(Default::default(), info))
        }
        #[cfg(feature = "flex")]
        BackendChoice::Flex => {
            let info = BackendInfo {
                backend: "flex".into(),
                device: "Cpu".into(),
                precision: "f32".into(),
            };
            Ok(task.run::<Autodiff<burn::backend::Flex>>(Default::default(), info))
        }
        #[cfg(feature = "wgpu")]
        BackendChoice::Wgpu => wgpu::run(task),
        #[cfg(feature = "cuda")]
        BackendChoice::Cuda => {
            check(choice)?;
            let device = burn::backend::cuda::CudaDevice::default();
            let info = BackendInfo {
                backend: "cuda".into(),
                device: format!("{device:?}"),
                precision: "f32".into(),
            };
            Ok(task.run::<Autodiff<burn::backend::Cuda>>(device, info))
        }
        #[allow(unreachable_patterns)]
        other => unreachable!("{} is checked to be built in when parsed", other.name()),
    }
}

#[cfg(feature = "wgpu")]
mod wgpu {
    use burn::backend::{Autodiff, Wgpu, wgpu::WgpuDevice};

    use super::{BackendError, BackendInfo, BackendTask};

    /// `ACTLAB_WGPU_DEVICE=cpu` picks a software adapter (lavapipe); otherwise wgpu's default.
    pub(super) fn device() -> WgpuDevice {
        match std::env::var("ACTLAB_WGPU_DEVICE").as_deref() {
            Ok("cpu") => WgpuDevice::Cpu,
            Ok("integrated") => WgpuDevice::IntegratedGpu(0),
            Ok("discrete") => WgpuDevice::DiscreteGpu(0),
            _ => WgpuDevice::default(),
        }
    }

    pub fn run<T: BackendTask>(task: T) -> Result<T::Output, BackendError> {
        let device = device();
        // wgpu panics when no adapter exists; find out on a tiny tensor before any real work.
        super::check(super::BackendChoice::Wgpu)?;
        let info = BackendInfo {
            backend: "wgpu".into(),
            device: format!("{device:?}"),
            precision: "f32".into(),
        };
        Ok(task.run::<Autodiff<Wgpu>>(device, info))
    }
}

#[cfg(all(test, not(feature = "cuda")))]
mod tests {
    use super::BackendChoice;

    #[test]
    fn a_backend_not_built_in_names_the_feature_and_an_unknown_one_the_allowed() {
        let error = "cuda".parse::<BackendChoice>().unwrap_err();
        assert!(error.contains("Rebuild with `--features cuda`"), "{error}");
        let error = "tpu".parse::<BackendChoice>().unwrap_err();
        assert!(
            error.contains("allowed: ndarray, ndarray-f32, flex, wgpu, cuda"),
            "{error}"
        );
    }
}
