//! What is compiled into the program, so that `cortexsim run brunel2000` works from any
//! directory and the data-driven models run without a data directory:
//!
//! * every network file of the repository's `networks/` folder, by its stem
//!   ([`network`], [`NETWORKS`]);
//! * the 29-area macaque data set of the repository's `data/markov2014-29areas/` (Markov et
//!   al. 2014 as used by Chaudhuri et al. 2015 and Joglekar et al. 2018: FLN, SLN and
//!   hierarchy as released under MIT; the wiring distances, published measurements, come
//!   from a republication without a licence file — see that folder's PROVENANCE.md);
//! * the spine counts of Mejias & Wang 2022, Table 1 (`data/mejias-wang2022-spines/`,
//!   CC-BY 4.0), for the `mejias_wang2022` generator.
//!
//! A file on disk always wins over a built-in of the same name (the loader looks for the
//! path first), and `--data DIR` / `$CORTEXSIM_DATA` win over the built-in data.

/// The built-in network files: (name, TOML text), sorted by name.
pub const NETWORKS: &[(&str, &str)] = &[
    (
        "bistable_local",
        include_str!("../../../networks/bistable_local.toml"),
    ),
    (
        "brunel2000",
        include_str!("../../../networks/brunel2000.toml"),
    ),
    (
        "brunel2000_si_fast",
        include_str!("../../../networks/brunel2000_si_fast.toml"),
    ),
    (
        "brunel2000_si_slow",
        include_str!("../../../networks/brunel2000_si_slow.toml"),
    ),
    (
        "brunel2000_sr",
        include_str!("../../../networks/brunel2000_sr.toml"),
    ),
    (
        "chaudhuri2015",
        include_str!("../../../networks/chaudhuri2015.toml"),
    ),
    ("ei_local", include_str!("../../../networks/ei_local.toml")),
    (
        "ei_local_weak",
        include_str!("../../../networks/ei_local_weak.toml"),
    ),
    (
        "joglekar2018_rate_strong",
        include_str!("../../../networks/joglekar2018_rate_strong.toml"),
    ),
    (
        "joglekar2018_rate_weak",
        include_str!("../../../networks/joglekar2018_rate_weak.toml"),
    ),
    (
        "froudist_walsh2021",
        include_str!("../../../networks/froudist_walsh2021.toml"),
    ),
    (
        "joglekar2018_spiking_strong",
        include_str!("../../../networks/joglekar2018_spiking_strong.toml"),
    ),
    (
        "joglekar2018_spiking_weak",
        include_str!("../../../networks/joglekar2018_spiking_weak.toml"),
    ),
    (
        "mejias_wang2022",
        include_str!("../../../networks/mejias_wang2022.toml"),
    ),
    (
        "mejias_wang_local",
        include_str!("../../../networks/mejias_wang_local.toml"),
    ),
    (
        "potjans_diesmann2014",
        include_str!("../../../networks/potjans_diesmann2014.toml"),
    ),
    (
        "vogels_abbott_coba",
        include_str!("../../../networks/vogels_abbott_coba.toml"),
    ),
    (
        "schmidt2018_mam",
        include_str!("../../../networks/schmidt2018_mam.toml"),
    ),
    (
        "vogels_abbott_cuba",
        include_str!("../../../networks/vogels_abbott_cuba.toml"),
    ),
    ("wang2002", include_str!("../../../networks/wang2002.toml")),
    (
        "wong_wang2006",
        include_str!("../../../networks/wong_wang2006.toml"),
    ),
];

/// The built-in network file called `name` (with or without `.toml`), if there is one.
pub fn network(name: &str) -> Option<&'static str> {
    let stem = name.strip_suffix(".toml").unwrap_or(name);
    NETWORKS.iter().find(|(n, _)| *n == stem).map(|(_, t)| *t)
}

pub(crate) const MARKOV_HIERARCHY: &str =
    include_str!("../../../data/markov2014-29areas/hierarchy_29.csv");
pub(crate) const MARKOV_FLN: &str = include_str!("../../../data/markov2014-29areas/fln_29x29.csv");
pub(crate) const MARKOV_SLN: &str = include_str!("../../../data/markov2014-29areas/sln_29x29.csv");
pub(crate) const MARKOV_DISTANCE: &str =
    include_str!("../../../data/markov2014-29areas/distance_mm_29x29.csv");
pub(crate) const MW_SPINES: &str =
    include_str!("../../../data/mejias-wang2022-spines/spine_counts_30areas.csv");
