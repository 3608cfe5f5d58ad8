//! Scheduler guarantees: conflicting systems never run together and keep declaration order,
//! independent ones share a wave, commands apply in declaration order, undeclared access is
//! refused, and a whole simulation gives identical results on 1 and N threads.

use engine::{Commands, EngineError, Entity, Schedule, SystemContext, World};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
}

#[test]
fn two_writers_of_one_column_never_run_together() {
    let mut world = World::new();
    let hp = world.register::<u32>("hp").unwrap();
    let other = world.register::<u32>("other").unwrap();
    let mut schedule = Schedule::new();
    let stage = schedule.add_stage("update");
    let active = Arc::new(AtomicUsize::new(0));
    let overlap = Arc::new(AtomicUsize::new(0));
    for name in ["w1", "w2", "w3"] {
        let (active, overlap) = (active.clone(), overlap.clone());
        schedule
            .system(stage, name)
            .writes(hp)
            .run(move |ctx: &SystemContext, _: &mut Commands| {
                let _hp = ctx.write(hp);
                if active.fetch_add(1, Ordering::SeqCst) > 0 {
                    overlap.fetch_add(1, Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_millis(2));
                active.fetch_sub(1, Ordering::SeqCst);
            })
            .unwrap();
    }
    schedule.system(stage, "reader").reads(other).run(move |ctx, _| drop(ctx.read(other))).unwrap();
    assert_eq!(
        schedule.waves(stage),
        vec![vec!["w1".to_string(), "reader".into()], vec!["w2".into()], vec!["w3".into()]]
    );
    pool(4).install(|| {
        for _ in 0..20 {
            schedule.run(&mut world);
        }
    });
    assert_eq!(overlap.load(Ordering::SeqCst), 0);
}

#[test]
fn readers_share_a_wave_and_writer_waits() {
    let mut world = World::new();
    let a = world.register::<u32>("a").unwrap();
    let b = world.register::<u32>("b").unwrap();
    let mut schedule = Schedule::new();
    let s = schedule.add_stage("s");
    schedule.system(s, "r1").reads(a).run(|_, _| {}).unwrap();
    schedule.system(s, "r2").reads(a).writes(b).run(|_, _| {}).unwrap();
    schedule.system(s, "w").writes(a).run(|_, _| {}).unwrap();
    schedule.system(s, "r3").reads(b).run(|_, _| {}).unwrap();
    let waves = schedule.waves(s);
    assert_eq!(waves, vec![vec!["r1".to_string(), "r2".into()], vec!["w".into(), "r3".into()]]);
    schedule.run(&mut world);
}

#[test]
fn bad_declarations_are_refused() {
    let mut world = World::new();
    let a = world.register::<u32>("a").unwrap();
    let mut schedule = Schedule::new();
    let s = schedule.add_stage("s");
    let both = schedule.system(s, "x").reads(a).writes(a).run(|_, _| {});
    assert!(matches!(both, Err(EngineError::BadSystemDeclaration { .. })));
    schedule.system(s, "y").reads(a).run(|_, _| {}).unwrap();
    let dup = schedule.system(s, "y").reads(a).run(|_, _| {});
    assert!(matches!(dup, Err(EngineError::BadSystemDeclaration { .. })));
    assert_eq!(schedule.system(7, "z").run(|_, _| {}), Err(EngineError::NoSuchStage(7)));
}

#[test]
#[should_panic(expected = "without declaring it")]
fn undeclared_write_panics() {
    let mut world = World::new();
    let a = world.register::<u32>("a").unwrap();
    let mut schedule = Schedule::new();
    let s = schedule.add_stage("s");
    schedule.system(s, "sneaky").reads(a).run(move |ctx, _| drop(ctx.write(a))).unwrap();
    schedule.run(&mut world);
}

#[test]
fn commands_apply_at_stage_end_in_declaration_order() {
    let mut world = World::new();
    let tag = world.register::<u32>("tag").unwrap();
    let log = world.insert_resource("log", Vec::<u32>::new()).unwrap();
    let mut schedule = Schedule::new();
    let s = schedule.add_stage("spawn");
    for n in 0..4u32 {
        // Independent systems (no shared writes) run in one parallel wave...
        schedule
            .system(s, format!("spawner{n}"))
            .run(move |_, cmds| {
                cmds.spawn(move |e, w| w.insert(e, tag, n).map(drop));
            })
            .unwrap();
    }
    let read = schedule.add_stage("read");
    schedule
        .system(read, "collect")
        .reads(tag)
        .writes_resource(log)
        .run(move |ctx, _| {
            let tags = ctx.read(tag);
            ctx.resource_mut(log).extend(tags.values().iter().copied());
        })
        .unwrap();
    pool(4).install(|| schedule.run(&mut world));
    // ...but their commands land in declaration order.
    assert_eq!(*world.resource(log), vec![0, 1, 2, 3]);
    assert!(schedule.last_apply_report().failed.is_empty());
}

#[test]
fn commands_on_dead_entities_are_reported_not_fatal() {
    let mut world = World::new();
    let a = world.register::<u32>("a").unwrap();
    let e = world.spawn();
    let mut schedule = Schedule::new();
    let s = schedule.add_stage("s");
    schedule
        .system(s, "kill-twice")
        .run(move |_, cmds| {
            cmds.run(move |w| w.insert(e, a, 1).map(drop));
            cmds.despawn(e);
            cmds.insert(e, a, 5);
            cmds.despawn(e);
        })
        .unwrap();
    schedule.run(&mut world);
    let report = schedule.last_apply_report();
    assert_eq!(report.applied, 2, "the deferred insert, then the first despawn");
    assert_eq!(report.failed, vec![EngineError::NoSuchEntity(e), EngineError::NoSuchEntity(e)]);
}

/// A small simulation: movement in parallel chunks, a damage system that reads positions, and a
/// reaper that despawns and respawns through commands. Returns a digest of the final world.
fn simulate(threads: usize) -> Vec<(Entity, i32, i32, u32)> {
    let mut world = World::new();
    let x = world.register::<i32>("x").unwrap();
    let y = world.register::<i32>("y").unwrap();
    let vx = world.register::<i32>("vx").unwrap();
    let hp = world.register::<u32>("hp").unwrap();
    let group = world.group(&[x.id(), y.id(), vx.id()]).unwrap();
    for i in 0..3000 {
        let e = world.spawn();
        world.insert(e, x, i * 3).unwrap();
        world.insert(e, y, -i).unwrap();
        world.insert(e, vx, (i % 7) - 3).unwrap();
        world.insert(e, hp, 100 + (i as u32 % 13)).unwrap();
    }
    let mut schedule = Schedule::new();
    let act = schedule.add_stage("act");
    schedule
        .system(act, "move")
        .writes(x)
        .writes(y)
        .reads(vx)
        .run(move |ctx, _| {
            let n = ctx.group_len(group);
            let (mut xs, mut ys, vxs) = (ctx.write(x), ctx.write(y), ctx.read(vx));
            use rayon::prelude::*;
            xs.values_mut()[..n]
                .par_chunks_mut(256)
                .zip(ys.values_mut()[..n].par_chunks_mut(256))
                .zip(vxs.values()[..n].par_chunks(256))
                .for_each(|((xs, ys), vs)| {
                    for ((x, y), v) in xs.iter_mut().zip(ys.iter_mut()).zip(vs) {
                        *x += v;
                        *y += v.signum();
                    }
                });
        })
        .unwrap();
    schedule
        .system(act, "damage")
        .writes(hp)
        .reads(vx)
        .run(move |ctx, cmds| {
            let mut hps = ctx.write(hp);
            engine::join2_mut(&mut hps, &ctx.read(vx), |e, hp, v| {
                *hp = hp.saturating_sub(v.unsigned_abs() + 1);
                if *hp == 0 {
                    cmds.despawn(e);
                }
            });
        })
        .unwrap();
    let respawn = schedule.add_stage("respawn");
    schedule
        .system(respawn, "respawn")
        .reads(hp)
        .run(move |ctx, cmds| {
            let missing = 3000 - ctx.read(hp).len();
            for i in 0..missing as i32 {
                cmds.spawn(move |e, w| {
                    w.insert(e, x, i)?;
                    w.insert(e, y, i)?;
                    w.insert(e, vx, 1)?;
                    w.insert(e, hp, 50).map(drop)
                });
            }
        })
        .unwrap();
    pool(threads).install(|| {
        for _ in 0..60 {
            schedule.run(&mut world);
        }
    });
    let (xs, ys, hps) = (world.column(x), world.column(y), world.column(hp));
    xs.iter().map(|(e, vx)| (e, *vx, *ys.get(e).unwrap(), *hps.get(e).unwrap())).collect()
}

#[test]
fn one_and_many_threads_give_identical_results() {
    let single = simulate(1);
    assert_eq!(single.len(), 3000);
    assert_eq!(single, simulate(2));
    assert_eq!(single, simulate(4));
}

#[test]
fn timings_are_recorded_per_stage_and_system() {
    let mut world = World::new();
    let mut schedule = Schedule::new();
    let s = schedule.add_stage("only");
    schedule.system(s, "sleepy").run(|_, _| std::thread::sleep(Duration::from_millis(1))).unwrap();
    for _ in 0..5 {
        schedule.run(&mut world);
    }
    let t = schedule.timings();
    assert_eq!(t.len(), 2);
    assert_eq!(t[1].system.as_deref(), Some("sleepy"));
    assert_eq!(t[1].summary.count, 5);
    assert!(t[1].summary.p50_us >= 1000);
    assert!(t[0].summary.max_us >= t[1].summary.p50_us);
}

#[test]
fn last_stage_times_report_the_latest_run_of_each_stage() {
    let mut world = World::new();
    let mut schedule = Schedule::new();
    let (fast, slow) = (schedule.add_stage("fast"), schedule.add_stage("slow"));
    schedule.system(fast, "nothing").run(|_, _| {}).unwrap();
    schedule.system(slow, "sleepy").run(|_, _| std::thread::sleep(Duration::from_millis(2))).unwrap();
    let before: Vec<_> = schedule.last_stage_times().map(|(name, t)| (name.to_owned(), t)).collect();
    assert_eq!(before, [("fast".to_owned(), Duration::ZERO), ("slow".to_owned(), Duration::ZERO)]);
    schedule.run(&mut world);
    let after: Vec<_> = schedule.last_stage_times().collect();
    assert_eq!(after.iter().map(|(name, _)| *name).collect::<Vec<_>>(), ["fast", "slow"]);
    assert!(after[1].1 >= Duration::from_millis(2));
}
