//! The stage scheduler: systems declare the columns and resources they read and write; inside a
//! stage, systems that do not conflict run in parallel on rayon, conflicting ones in declaration
//! order; command buffers are applied at the end of each stage in declaration order.

use crate::commands::{ApplyReport, Commands};
use crate::error::EngineError;
use crate::timing::{DurationHistogram, TimingSummary};
use crate::world::{ColumnKey, ResourceKey, World};
use atomic_refcell::{AtomicRef, AtomicRefMut};
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// What a system touches. Two systems conflict when one writes what the other reads or writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Access {
    /// Columns read (bit per column id).
    pub reads: u128,
    /// Columns written.
    pub writes: u128,
    /// Resources read.
    pub resource_reads: u128,
    /// Resources written.
    pub resource_writes: u128,
}

impl Access {
    /// True when the two may not run at the same time.
    pub fn conflicts(&self, other: &Access) -> bool {
        let col = self.writes & (other.reads | other.writes) | other.writes & self.reads;
        let res = self.resource_writes & (other.resource_reads | other.resource_writes)
            | other.resource_writes & self.resource_reads;
        col | res != 0
    }
}

/// A system's view of the world: only the columns and resources it declared.
#[derive(Debug)]
pub struct SystemContext<'w> {
    world: &'w World,
    access: &'w Access,
    system: &'w str,
}

impl<'w> SystemContext<'w> {
    /// Entities in a group: the grouped columns' slots `0..group_len` hold them, in the same order
    /// in every member. Groups change only between stages, so any system may read this.
    pub fn group_len(&self, group: crate::GroupId) -> usize {
        self.world.group_len(group)
    }

    /// Whether an entity is alive (spawns and despawns happen only between stages).
    pub fn is_alive(&self, entity: crate::Entity) -> bool {
        self.world.is_alive(entity)
    }

    /// Reads a declared column (declared read or write).
    pub fn read<T: 'static>(&self, key: ColumnKey<T>) -> AtomicRef<'w, crate::Column<T>> {
        self.check(self.access.reads | self.access.writes, key.id(), "read column");
        self.world.column(key)
    }

    /// Writes a column declared as written.
    pub fn write<T: 'static>(&self, key: ColumnKey<T>) -> AtomicRefMut<'w, crate::Column<T>> {
        self.check(self.access.writes, key.id(), "write column");
        self.world.column_mut(key)
    }

    /// Reads a declared resource.
    pub fn resource<R: 'static>(&self, key: ResourceKey<R>) -> AtomicRef<'w, R> {
        let declared = self.access.resource_reads | self.access.resource_writes;
        self.check(declared, key.id(), "read resource");
        self.world.resource(key)
    }

    /// Writes a resource declared as written.
    pub fn resource_mut<R: 'static>(&self, key: ResourceKey<R>) -> AtomicRefMut<'w, R> {
        self.check(self.access.resource_writes, key.id(), "write resource");
        self.world.resource_mut(key)
    }

    fn check(&self, declared: u128, id: usize, what: &str) {
        assert!(
            declared & (1u128 << id) != 0,
            "system `{}` tried to {what} {id} without declaring it",
            self.system
        );
    }
}

type SystemFn = Box<dyn FnMut(&SystemContext<'_>, &mut Commands) + Send>;

struct System {
    name: String,
    access: Access,
    run: SystemFn,
    commands: Commands,
    times: DurationHistogram,
}

impl System {
    fn run(&mut self, world: &World) {
        let start = Instant::now();
        let ctx = SystemContext { world, access: &self.access, system: &self.name };
        (self.run)(&ctx, &mut self.commands);
        self.times.record(start.elapsed());
    }
}

struct Stage {
    name: String,
    waves: Vec<Vec<System>>,
    /// `(wave, index)` of each system in declaration order, for applying commands.
    order: Vec<(usize, usize)>,
    times: DurationHistogram,
    /// The last run's duration.
    last: Duration,
}

/// Timing summary of one system or stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemTiming {
    /// Stage name.
    pub stage: String,
    /// System name, or `None` for the whole stage (including command application).
    pub system: Option<String>,
    /// Duration quantiles.
    pub summary: TimingSummary,
}

/// Ordered stages of systems. Run it inside a rayon pool to choose the thread count.
#[derive(Default)]
pub struct Schedule {
    stages: Vec<Stage>,
    last_report: ApplyReport,
}

impl std::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Schedule");
        for stage in &self.stages {
            let waves: Vec<Vec<&str>> =
                stage.waves.iter().map(|w| w.iter().map(|s| s.name.as_str()).collect()).collect();
            d.field(&stage.name, &waves);
        }
        d.finish()
    }
}

impl Schedule {
    /// An empty schedule.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a stage; returns its index for [`Schedule::system`].
    pub fn add_stage(&mut self, name: impl Into<String>) -> usize {
        let name = name.into();
        self.stages.push(Stage {
            name,
            waves: Vec::new(),
            order: Vec::new(),
            times: DurationHistogram::new(),
            last: Duration::ZERO,
        });
        self.stages.len() - 1
    }

    /// Starts declaring a system in `stage`.
    pub fn system(&mut self, stage: usize, name: impl Into<String>) -> SystemBuilder<'_> {
        SystemBuilder { schedule: self, stage, name: name.into(), access: Access::default() }
    }

    /// Runs every stage once, in order, on the current rayon pool.
    pub fn run(&mut self, world: &mut World) -> Duration {
        let start = Instant::now();
        self.last_report = ApplyReport::default();
        for stage in &mut self.stages {
            let stage_start = Instant::now();
            for wave in &mut stage.waves {
                run_wave(wave, world);
            }
            for &(w, i) in &stage.order {
                stage.waves[w][i].commands.apply(world, &mut self.last_report);
            }
            stage.last = stage_start.elapsed();
            stage.times.record(stage.last);
        }
        start.elapsed()
    }

    /// What the last run's command buffers did (failures such as commands on dead entities).
    pub fn last_apply_report(&self) -> &ApplyReport {
        &self.last_report
    }

    /// Each stage's name and how long it took in the last run (for a slow-tick report).
    pub fn last_stage_times(&self) -> impl Iterator<Item = (&str, Duration)> {
        self.stages.iter().map(|s| (s.name.as_str(), s.last))
    }

    /// Names of the systems of each stage grouped by wave: systems in one wave run in parallel.
    pub fn waves(&self, stage: usize) -> Vec<Vec<String>> {
        self.stages.get(stage).map_or_else(Vec::new, |s| {
            s.waves.iter().map(|w| w.iter().map(|sys| sys.name.clone()).collect()).collect()
        })
    }

    /// Timing summaries: each stage followed by its systems in declaration order.
    pub fn timings(&self) -> Vec<SystemTiming> {
        let mut out = Vec::new();
        for stage in &self.stages {
            out.push(SystemTiming {
                stage: stage.name.clone(),
                system: None,
                summary: stage.times.summary(),
            });
            for &(w, i) in &stage.order {
                let s = &stage.waves[w][i];
                let summary = s.times.summary();
                out.push(SystemTiming { stage: stage.name.clone(), system: Some(s.name.clone()), summary });
            }
        }
        out
    }

    /// Forgets all recorded times (for windowed metrics).
    pub fn reset_timings(&mut self) {
        for stage in &mut self.stages {
            stage.times.reset();
            stage.waves.iter_mut().flatten().for_each(|s| s.times.reset());
        }
    }

    fn insert(&mut self, stage: usize, system: System) -> Result<(), EngineError> {
        let stage = self.stages.get_mut(stage).ok_or(EngineError::NoSuchStage(stage))?;
        if stage.waves.iter().flatten().any(|s| s.name == system.name) {
            let reason = "a system with this name already exists in the stage";
            return Err(EngineError::BadSystemDeclaration { system: system.name, reason });
        }
        // After the last wave holding a conflicting (earlier) system: conflicting systems keep
        // declaration order, independent ones share a wave.
        let wave = stage
            .waves
            .iter()
            .rposition(|w| w.iter().any(|s| s.access.conflicts(&system.access)))
            .map_or(0, |w| w + 1);
        if wave == stage.waves.len() {
            stage.waves.push(Vec::new());
        }
        stage.order.push((wave, stage.waves[wave].len()));
        stage.waves[wave].push(system);
        Ok(())
    }
}

fn run_wave(wave: &mut [System], world: &World) {
    match wave {
        [single] => single.run(world),
        many => many.par_iter_mut().for_each(|s| s.run(world)),
    }
}

/// Declares one system's access, then [`SystemBuilder::run`] adds it.
#[must_use = "a system is only added by calling `run`"]
pub struct SystemBuilder<'s> {
    schedule: &'s mut Schedule,
    stage: usize,
    name: String,
    access: Access,
}

impl std::fmt::Debug for SystemBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemBuilder").field("name", &self.name).field("access", &self.access).finish()
    }
}

impl SystemBuilder<'_> {
    /// Declares a column the system reads.
    pub fn reads<T>(mut self, key: ColumnKey<T>) -> Self {
        self.access.reads |= 1u128 << key.id();
        self
    }

    /// Declares a column the system writes (implies reading it).
    pub fn writes<T>(mut self, key: ColumnKey<T>) -> Self {
        self.access.writes |= 1u128 << key.id();
        self
    }

    /// Declares a resource the system reads.
    pub fn reads_resource<R>(mut self, key: ResourceKey<R>) -> Self {
        self.access.resource_reads |= 1u128 << key.id();
        self
    }

    /// Declares a resource the system writes.
    pub fn writes_resource<R>(mut self, key: ResourceKey<R>) -> Self {
        self.access.resource_writes |= 1u128 << key.id();
        self
    }

    /// Adds the system with body `run`, called once per schedule run.
    pub fn run(
        self,
        run: impl FnMut(&SystemContext<'_>, &mut Commands) + Send + 'static,
    ) -> Result<(), EngineError> {
        if self.access.reads & self.access.writes != 0
            || self.access.resource_reads & self.access.resource_writes != 0
        {
            let reason = "declares the same column or resource as both read and written; declare it written";
            return Err(EngineError::BadSystemDeclaration { system: self.name, reason });
        }
        let system = System {
            name: self.name,
            access: self.access,
            run: Box::new(run),
            commands: Commands::new(),
            times: DurationHistogram::new(),
        };
        self.schedule.insert(self.stage, system)
    }
}
