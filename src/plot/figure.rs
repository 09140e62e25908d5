//! The one table of figures: every figure a run, its layers, its theory section or a sweep
//! draws, as typed variants with their file and title. Drawing matches on the variant, so a
//! figure added here without a drawing does not compile, and no figure falls back to another.

macro_rules! figures {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => ($file:literal, $title:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            /// Every figure of this kind, in page order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The file the figure is written to, beside the page.
            pub fn file(self) -> &'static str {
                match self {
                    $(Self::$variant => $file),+
                }
            }

            /// What the figure shows, as the page titles it.
            pub fn title(self) -> &'static str {
                match self {
                    $(Self::$variant => $title),+
                }
            }
        }
    };
}

figures! {
    /// A run's figures: the article's five, test accuracy over training, and for data that
    /// are not points in the plane the confusion matrices and sample predictions.
    RunFigure {
        Dataset => ("dataset.png", "The data set"),
        Loss => ("loss.png", "Training loss"),
        Accuracy => ("accuracy.png", "Test accuracy"),
        DecisionBoundary => ("decision_boundary.png", "Decision boundaries"),
        SignalTrace => ("signal_trace.png", "Signal trace"),
        HiddenSpace => ("hidden_space.png", "Hidden space"),
        Confusion => ("confusion.png", "Confusion matrices"),
        Samples => ("samples.png", "Test samples and predictions"),
        Mistakes => ("mistakes.png", "The most confident mistakes"),
    }
}

figures! {
    /// A probed run's per-layer statistics over training.
    LayerFigure {
        Activity => ("layer_activity.png", "Activations by layer over training"),
        Histograms => ("layer_histograms.png", "Activation histograms, first and last probe"),
        Gradients => ("layer_gradients.png", "Gradient norm by layer over training"),
        Saturation => ("layer_saturation.png", "Saturation and dead units over training"),
        Geometry => ("layer_geometry.png", "Distance preservation by layer over training"),
    }
}

figures! {
    /// The theory section's figure: the signal's length by depth, measured and predicted.
    TheoryFigure {
        SignalDepth => ("signal_depth.png", "q^l by depth, measured and predicted"),
    }
}

figures! {
    /// A sweep's figures.
    SweepFigure {
        Heatmap => ("heatmap.png", "heatmap"),
        Trainability => ("trainability.png", "trainability"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_figure_has_its_own_file() {
        let files: Vec<&str> = RunFigure::ALL
            .iter()
            .map(|f| f.file())
            .chain(LayerFigure::ALL.iter().map(|f| f.file()))
            .chain(TheoryFigure::ALL.iter().map(|f| f.file()))
            .chain(SweepFigure::ALL.iter().map(|f| f.file()))
            .collect();
        let mut distinct = files.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), files.len(), "{files:?}");
        assert!(files.iter().all(|f| f.ends_with(".png")));
    }
}
