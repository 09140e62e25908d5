//! Each variant resolved: its name checked, its activation, gain and shift, and its init
//! (named schemes or mean-field variances) turned into what the models are built from.

use std::collections::BTreeSet;

use super::{PlannedVariant, is_safe_name};
use crate::{
    config::{ConfigError, Experiment, Variant, error::Num},
    model::{Activation, Init, InitScheme, Nonlinearity},
};

impl Experiment {
    pub(super) fn plan_variants(&self) -> Result<Vec<PlannedVariant>, ConfigError> {
        if self.variants.is_empty() {
            return Err(ConfigError::invalid(
                "variants",
                "[]",
                "declare at least one [[variants]] entry",
            ));
        }
        let mut seen = BTreeSet::new();
        self.variants
            .iter()
            .map(|v| {
                let key = |field: &str| format!("variants.{}.{field}", v.name);
                if !is_safe_name(&v.name) {
                    return Err(ConfigError::invalid(
                        "variants.name",
                        format!("{:?}", v.name),
                        "must be non-empty and use only letters, digits, `-` and `_`",
                    ));
                }
                if !seen.insert(v.name.as_str()) {
                    return Err(ConfigError::invalid(
                        "variants.name",
                        &v.name,
                        "variant names must be unique",
                    ));
                }
                let activation = v.activation.or(self.model.activation).ok_or_else(|| {
                    ConfigError::invalid(
                        key("activation"),
                        "(missing)",
                        format!(
                            "set it in the variant or in [model]; allowed: {}",
                            Activation::names()
                        ),
                    )
                })?;
                let init = v.init.or(self.model.init).ok_or_else(|| {
                    ConfigError::invalid(
                        key("init"),
                        "(missing)",
                        format!(
                            "set it in the variant or in [model]; allowed: {}",
                            InitScheme::names()
                        ),
                    )
                })?;
                let gain = v
                    .activation_gain
                    .or(self.model.activation_gain)
                    .unwrap_or(1.0);
                if !(gain.is_finite() && gain != 0.0) {
                    return Err(ConfigError::invalid(
                        key("activation_gain"),
                        Num(gain),
                        "must be a finite number other than 0",
                    ));
                }
                let shift = v
                    .activation_shift
                    .or(self.model.activation_shift)
                    .unwrap_or(0.0);
                if !shift.is_finite() {
                    return Err(ConfigError::invalid(
                        key("activation_shift"),
                        Num(shift),
                        "must be a finite number",
                    ));
                }
                let init = self.variant_init(v, init, &key)?;
                Ok(PlannedVariant {
                    name: v.name.clone(),
                    nonlinearity: Nonlinearity {
                        activation,
                        gain,
                        shift,
                    },
                    init,
                })
            })
            .collect()
    }

    /// A variant's init with its variances: `mean-field` needs `weight_var` (and takes
    /// `bias_var`, default 0); the named schemes take neither.
    fn variant_init(
        &self,
        v: &Variant,
        scheme: InitScheme,
        key: &dyn Fn(&str) -> String,
    ) -> Result<Init, ConfigError> {
        let weight_var = v.weight_var.or(self.model.weight_var);
        let bias_var = v.bias_var.or(self.model.bias_var);
        if scheme != InitScheme::MeanField {
            if let Some((field, value)) = [("weight_var", v.weight_var), ("bias_var", v.bias_var)]
                .into_iter()
                .find_map(|(f, x)| Some((f, x?)))
            {
                return Err(ConfigError::invalid(
                    key(field),
                    Num(value),
                    format!("applies to init = \"mean-field\"; this variant's init is {scheme}"),
                ));
            }
            return Ok(Init::named(scheme));
        }
        let weight_var = weight_var.ok_or_else(|| {
            ConfigError::invalid(
                key("weight_var"),
                "(missing)",
                "init = \"mean-field\" needs weight_var (sigma_w^2 > 0), in the variant or in [model]",
            )
        })?;
        if !(weight_var.is_finite() && weight_var > 0.0 && weight_var <= 1e6) {
            return Err(ConfigError::invalid(
                key("weight_var"),
                Num(weight_var),
                "must be a finite number in (0, 1e6]",
            ));
        }
        let bias_var = bias_var.unwrap_or(0.0);
        if !(bias_var.is_finite() && (0.0..=1e6).contains(&bias_var)) {
            return Err(ConfigError::invalid(
                key("bias_var"),
                Num(bias_var),
                "must be a finite number in [0, 1e6]",
            ));
        }
        Ok(Init::mean_field(weight_var, bias_var))
    }
}
