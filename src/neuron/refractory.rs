//! The refractory count of the point neurons (AdEx, LIF), updated without data-dependent
//! branches so that the kernels compile to SIMD.
//!
//! A neuron-by-neuron branch on the count mispredicts for the neurons that are refractory (~10 %
//! of COBA's at 20 Hz and 5 ms), and took most of the step. Instead the kernel's vector pass
//! counts every held neuron down and writes [`SPIKED`] into the count of a neuron that fired, and
//! [`list_spikes`] then lists the marked neurons in increasing order and starts their count.

/// The count of a neuron that fired in this step's vector pass. No count left by a previous
/// step is SPIKED after the pass: a held neuron was counted down, so even a refractory period of
/// u32::MAX steps (t_ref is not bounded above) reads u32::MAX - 1 or less.
pub const SPIKED: u32 = u32::MAX;

/// The new count of a neuron: [`SPIKED`] if it fired, else one step less (0 stays 0).
#[inline(always)]
pub fn count_down(count: u32, fired: bool) -> u32 {
    if fired {
        SPIKED
    } else {
        count.saturating_sub(1)
    }
}

/// Appends the neurons marked [`SPIKED`] in `counts` (offset by `offset`), in increasing order, to
/// `spikes`, and sets their count to `steps(i)`. Blocks of 16 are first tested with one
/// branch-free comparison; only a block holding a spike is walked.
#[inline(always)]
pub fn list_spikes(counts: &mut [u32], offset: u32, steps: impl Fn(usize) -> u32, spikes: &mut Vec<u32>) {
    const BLOCK: usize = 16;
    for (b, block) in counts.chunks_mut(BLOCK).enumerate() {
        if block.iter().fold(false, |any, &c| any | (c == SPIKED)) {
            for (j, c) in block.iter_mut().enumerate() {
                if *c == SPIKED {
                    let i = b * BLOCK + j;
                    spikes.push(offset + i as u32);
                    *c = steps(i);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_neurons_are_listed_in_order_and_start_their_count() {
        // 40 neurons over three blocks: marks at 3, 17 and 39 (the last, partial block).
        let mut counts = vec![0u32; 40];
        counts[5] = 2;
        for i in [3, 17, 39] {
            counts[i] = count_down(counts[i], true);
        }
        counts[5] = count_down(counts[5], false);
        let mut spikes = vec![7];
        list_spikes(&mut counts, 100, |i| 50 + i as u32, &mut spikes);
        assert_eq!(spikes, [7, 103, 117, 139]);
        assert_eq!((counts[3], counts[17], counts[39], counts[5], counts[0]), (53, 67, 89, 1, 0));
        assert_eq!(count_down(0, false), 0);
    }
}
