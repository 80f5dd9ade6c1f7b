#!/usr/bin/env python3
"""Host-side model of the producer-ring persistent decode kernel (branch persistent-cta-ring, hung in runs 28-29).

One CTA's weight stream (phases in order, the CTA's rows in order, chunks in order; row i of the CTA's range to warp
i % 8), a ring of S slots whose chunk `seq` sits in slot seq % S, the producer waiting for the slot's previous chunk to be
consumed, the consumers waiting for their chunk to land and meeting at every phase end. Prints, for 8B-shaped ranges on
132 CTAs, whether every chunk gets consumed: it does, so the order, slot and parity bookkeeping cannot deadlock by
itself, and the hang points at an instruction's semantics (bench/cuda/KERNELS.md, session 8).
Run: python3 bench/cuda/persistent-ring-sim.py
"""
def simulate(rows_per_phase, chunks_per_unit, S, warps=8, layers=2):
    # stream: list of (phase_index, owner_warp)
    stream=[]; phase_chunks=[]
    ph=0
    for L in range(layers):
        for p,(rows,cpu) in enumerate(zip(rows_per_phase,chunks_per_unit)):
            lst=[]
            for i in range(rows):
                for c in range(cpu):
                    stream.append((ph, i%warps)); lst.append(len(stream)-1)
            phase_chunks.append(lst); ph+=1
    N=len(stream)
    issued=0; consumed=[False]*N
    full_phase={}  # slot -> completions count
    empty_done={}  # slot -> completions
    # consumer state: per warp, current phase index, position in its list
    per_warp=[[ [s for s in phase_chunks[k] if stream[s][1]==w] for k in range(ph)] for w in range(warps)]
    cur_phase=[0]*warps; pos=[0]*warps
    progress=True; steps=0
    while progress:
        progress=False; steps+=1
        # producer
        while issued<N:
            slot=issued%S
            if issued>=S and empty_done.get(slot,0) < issued//S: break
            full_phase[slot]=full_phase.get(slot,0)+1  # lands immediately
            issued+=1; progress=True
        # consumers
        for w in range(warps):
            while cur_phase[w]<ph:
                lst=per_warp[w][cur_phase[w]]
                if pos[w]<len(lst):
                    seq=lst[pos[w]]; slot=seq%S; need=seq//S+1
                    if full_phase.get(slot,0)>=need and seq<issued:
                        consumed[seq]=True; empty_done[slot]=empty_done.get(slot,0)+1; pos[w]+=1; progress=True
                    else: break
                else:
                    # phase barrier: all warps must have finished this phase
                    if all(cur_phase[v]>cur_phase[w] or (cur_phase[v]==cur_phase[w] and pos[v]>=len(per_warp[v][cur_phase[v]])) for v in range(warps)):
                        cur_phase[w]+=1; pos[w]=0; progress=True
                    else: break
    done=all(consumed)
    return done, issued, sum(consumed), N
# 8B shapes per CTA (132 CTAs): qkv 46-47 rows x2 chunks, o 31-32 x2, gate_up 108-109 units x4, down 31-32 x7
for S in (40,47):
    for rows in ((47,32,109,32),(46,31,108,31),(1,1,1,1),(3,2,9,5)):
        print(S, rows, simulate(rows,(2,2,4,7),S))
