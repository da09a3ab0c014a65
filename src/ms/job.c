/* Simulation job files (shared/job-format.md) read with jansson into a bf_ms_job. Names follow
 * abTEM's Python names; lengths Å, angles mrad, energies eV. Every object's keys are checked
 * against the section's list, so a typo is an error naming the key path, and every wrong type
 * names the path and what was expected. Invariants of a loaded job: frames[0] exists and all
 * frames share its cell; sigmas has one value per atom of frames[0]; energy > 0. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms/job_internal.h"

static const char *const output_keys[6] = {"file", "exit_wave", "intensity", "potential",
                                           "diffraction", "image"};

static bf_status check_keys(const bf_ms_job *j, json_t *obj, const char *path,
                            const char *const *allowed, int aberrations_ok)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        int ok = 0;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok && aberrations_ok) {
            bf_aberrations tmp = {{0}};
            ok = bf_aberrations_set(&tmp, key, 0.0) == BF_OK;
        }
        if (!ok)
            return bf__error_set(BF_EINVAL, "%s: %s%s%s: unknown key", j->name, path,
                                 *path ? "." : "", key);
    }
    return BF_OK;
}

static bf_status want_object(const bf_ms_job *j, json_t *v, const char *path)
{
    if (!json_is_object(v))
        return bf__error_set(BF_EINVAL, "%s: %s: expected an object", j->name, path);
    return BF_OK;
}

static bf_status get_number(const bf_ms_job *j, json_t *obj, const char *sect, const char *key,
                            double *out, int positive)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return BF_OK;
    if (!json_is_number(v))
        return bf__error_set(BF_EINVAL, "%s: %s.%s: expected a number", j->name, sect, key);
    double d = json_number_value(v);
    if (positive && !(d > 0.0))
        return bf__error_set(BF_EINVAL, "%s: %s.%s: must be positive, got %g", j->name, sect, key,
                             d);
    *out = d;
    return BF_OK;
}

static bf_status get_bool(const bf_ms_job *j, json_t *obj, const char *sect, const char *key,
                          int *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return BF_OK;
    if (!json_is_boolean(v))
        return bf__error_set(BF_EINVAL, "%s: %s.%s: expected true or false", j->name, sect, key);
    *out = json_is_true(v);
    return BF_OK;
}

/* A number or a pair [a, b] of numbers (ints when integer is set). */
static bf_status get_pair(const bf_ms_job *j, json_t *obj, const char *sect, const char *key,
                          double out[2], int integer, int *found)
{
    json_t *v = json_object_get(obj, key);
    if (found)
        *found = v != NULL;
    if (!v)
        return BF_OK;
    const char *what = integer ? "an integer or [nx, ny]" : "a number or [x, y]";
    if (json_is_array(v)) {
        if (json_array_size(v) != 2)
            return bf__error_set(BF_EINVAL, "%s: %s.%s: expected %s", j->name, sect, key, what);
        for (int k = 0; k < 2; k++) {
            json_t *e = json_array_get(v, (size_t)k);
            if (integer ? !json_is_integer(e) : !json_is_number(e))
                return bf__error_set(BF_EINVAL, "%s: %s.%s: expected %s", j->name, sect, key, what);
            out[k] = json_number_value(e);
        }
    } else if (integer ? json_is_integer(v) : json_is_number(v)) {
        out[0] = out[1] = json_number_value(v);
    } else {
        return bf__error_set(BF_EINVAL, "%s: %s.%s: expected %s", j->name, sect, key, what);
    }
    return BF_OK;
}

static bf_status get_string(const bf_ms_job *j, json_t *obj, const char *sect, const char *key,
                            const char **out)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return BF_OK;
    if (!json_is_string(v))
        return bf__error_set(BF_EINVAL, "%s: %s.%s: expected a string", j->name, sect, key);
    *out = json_string_value(v);
    return BF_OK;
}

static char *resolve(const bf_ms_job *j, const char *file)
{
    size_t n = strlen(j->dir) + strlen(file) + 2;
    char *p = malloc(n);
    if (!p)
        return NULL;
    if (file[0] == '/' || !j->dir[0])
        snprintf(p, n, "%s", file);
    else
        snprintf(p, n, "%s/%s", j->dir, file);
    return p;
}

static bf_status parse_atoms(bf_ms_job *j, json_t *a)
{
    /* ase.build.bulk's parameter names; covera is c/a as there. */
    static const char *const keys[] = {"bulk", "crystalstructure", "a", "b", "c", "covera",
                                       "alpha", "u", "cubic", "orthorhombic", "repeat", "file",
                                       NULL};
    bf_status st;
    if ((st = want_object(j, a, "atoms")) || (st = check_keys(j, a, "atoms", keys, 0)))
        return st;
    const char *file = NULL;
    bf_bulk_options b = BF_BULK_OPTIONS_INIT;
    double covera = 0.0;
    if ((st = get_string(j, a, "atoms", "bulk", &b.name)) ||
        (st = get_string(j, a, "atoms", "file", &file)) ||
        (st = get_string(j, a, "atoms", "crystalstructure", &b.crystalstructure)) ||
        (st = get_number(j, a, "atoms", "a", &b.a, 1)) ||
        (st = get_number(j, a, "atoms", "b", &b.b, 1)) ||
        (st = get_number(j, a, "atoms", "c", &b.c, 1)) ||
        (st = get_number(j, a, "atoms", "covera", &covera, 1)) ||
        (st = get_number(j, a, "atoms", "alpha", &b.alpha, 1)) ||
        (st = get_number(j, a, "atoms", "u", &b.u, 1)) ||
        (st = get_bool(j, a, "atoms", "cubic", &b.cubic)) ||
        (st = get_bool(j, a, "atoms", "orthorhombic", &b.orthorhombic)))
        return st;
    if (!b.name == !file)
        return bf__error_set(BF_EINVAL, "%s: atoms: give exactly one of bulk or file", j->name);
    if (covera > 0.0) {
        if (b.c > 0.0)
            return bf__error_set(BF_EINVAL, "%s: atoms: give c or covera, not both", j->name);
        if (!(b.a > 0.0))
            return bf__error_set(BF_EINVAL, "%s: atoms: covera needs a", j->name);
        b.c = covera * b.a;
    }
    if (b.name) {
        bf_atoms *one;
        if ((st = bf_bulk(&b, &one)))
            return bf__error_prefix(st, "%s: atoms: ", j->name);
        j->frames.frames = malloc(sizeof *j->frames.frames);
        if (!j->frames.frames) {
            bf_atoms_destroy(one);
            return bf__error_set(BF_ENOMEM, "out of memory");
        }
        j->frames.frames[0] = one;
        j->frames.count = 1;
    } else {
        char *path = resolve(j, file);
        if (!path)
            return bf__error_set(BF_ENOMEM, "out of memory");
        st = bf_structure_read(path, &j->frames);
        free(path);
        if (st)
            return st;
    }
    json_t *rep = json_object_get(a, "repeat");
    if (rep) {
        int r[3];
        if (!json_is_array(rep) || json_array_size(rep) != 3)
            return bf__error_set(BF_EINVAL, "%s: atoms.repeat: expected [nx, ny, nz]", j->name);
        for (int k = 0; k < 3; k++) {
            json_t *e = json_array_get(rep, (size_t)k);
            if (!json_is_integer(e) || json_integer_value(e) < 1 || json_integer_value(e) > 10000)
                return bf__error_set(BF_EINVAL, "%s: atoms.repeat[%d]: expected an integer >= 1",
                                     j->name, k);
            r[k] = (int)json_integer_value(e);
        }
        for (size_t f = 0; f < j->frames.count; f++) {
            bf_atoms *big;
            if ((st = bf_atoms_repeat(j->frames.frames[f], r, &big)))
                return st;
            bf_atoms_destroy(j->frames.frames[f]);
            j->frames.frames[f] = big;
        }
    }
    for (size_t f = 1; f < j->frames.count; f++)
        for (int k = 0; k < 3; k++)
            if (bf_atoms_cell(j->frames.frames[f])[k] != bf_atoms_cell(j->frames.frames[0])[k])
                return bf__error_set(BF_EINVAL, "%s: atoms: frame %zu has a different cell",
                                     j->name, f);
    return BF_OK;
}

static bf_status parse_sigmas(bf_ms_job *j, json_t *s)
{
    const bf_atoms *a = j->frames.frames[0];
    size_t n = bf_atoms_count(a);
    j->sigmas = calloc(n ? n : 1, sizeof *j->sigmas);
    if (!j->sigmas)
        return bf__error_set(BF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        double v = 0.0;
        if (json_is_number(s)) {
            v = json_number_value(s);
        } else if (json_is_object(s)) {
            const char *sym = bf_element_symbol(bf_atoms_numbers(a)[i]);
            json_t *e = json_object_get(s, sym);
            if (!e || !json_is_number(e))
                return bf__error_set(BF_EINVAL, "%s: frozen_phonons.sigmas: no number for %s",
                                     j->name, sym);
            v = json_number_value(e);
        } else if (json_is_array(s)) {
            if (json_array_size(s) != n)
                return bf__error_set(BF_EINVAL,
                                     "%s: frozen_phonons.sigmas: %zu values for %zu atoms",
                                     j->name, json_array_size(s), n);
            json_t *e = json_array_get(s, i);
            if (!json_is_number(e))
                return bf__error_set(BF_EINVAL, "%s: frozen_phonons.sigmas[%zu]: expected a "
                                     "number", j->name, i);
            v = json_number_value(e);
        } else {
            return bf__error_set(BF_EINVAL, "%s: frozen_phonons.sigmas: expected a number, "
                                 "{\"El\": σ} or one number per atom", j->name);
        }
        if (!(v >= 0.0))
            return bf__error_set(BF_EINVAL, "%s: frozen_phonons.sigmas: must be >= 0, got %g",
                                 j->name, v);
        j->sigmas[i] = v;
    }
    if (json_is_object(s)) {
        const char *key;
        json_t *v;
        json_object_foreach(s, key, v)
        {
            int z;
            if (bf_element_number(key, &z))
                return bf__error_set(BF_EINVAL, "%s: frozen_phonons.sigmas.%s: unknown element",
                                     j->name, key);
        }
    }
    return BF_OK;
}

static bf_status parse_fp(bf_ms_job *j, json_t *fp)
{
    static const char *const keys[] = {"num_configs", "sigmas", "seed", "directions",
                                       "ensemble_mean", NULL};
    bf_status st;
    if ((st = want_object(j, fp, "frozen_phonons")) ||
        (st = check_keys(j, fp, "frozen_phonons", keys, 0)))
        return st;
    if (j->frames.count > 1)
        return bf__error_set(BF_EINVAL, "%s: frozen_phonons: the structure file already has %zu "
                             "frames (configurations); drop one of the two", j->name,
                             j->frames.count);
    json_t *n = json_object_get(fp, "num_configs"), *seed = json_object_get(fp, "seed");
    if (!n || !json_is_integer(n) || json_integer_value(n) < 1 || json_integer_value(n) > 1000000)
        return bf__error_set(BF_EINVAL, "%s: frozen_phonons.num_configs: expected an integer "
                             ">= 1", j->name);
    j->num_configs = (size_t)json_integer_value(n);
    if (seed && (!json_is_integer(seed) || json_integer_value(seed) < 0))
        return bf__error_set(BF_EINVAL, "%s: frozen_phonons.seed: expected an integer >= 0",
                             j->name);
    j->seed = seed ? (uint64_t)json_integer_value(seed) : 0;
    json_t *s = json_object_get(fp, "sigmas");
    const double *file_sigmas = bf_atoms_sigmas(j->frames.frames[0]);
    if (!s && !file_sigmas)
        return bf__error_set(BF_EINVAL, "%s: frozen_phonons.sigmas: missing (and the structure "
                             "file gives none)", j->name);
    const char *dir = "xyz";
    if (!s) {
        size_t n = bf_atoms_count(j->frames.frames[0]);
        if (!(j->sigmas = malloc((n ? n : 1) * sizeof *j->sigmas)))
            return bf__error_set(BF_ENOMEM, "out of memory");
        memcpy(j->sigmas, file_sigmas, n * sizeof *j->sigmas);
    }
    if ((s && (st = parse_sigmas(j, s))) ||
        (st = get_string(j, fp, "frozen_phonons", "directions", &dir)) ||
        (st = get_bool(j, fp, "frozen_phonons", "ensemble_mean", &j->ensemble_mean)))
        return st;
    if (strlen(dir) > 3 || !*dir || strspn(dir, "xyz") != strlen(dir))
        return bf__error_set(BF_EINVAL, "%s: frozen_phonons.directions: expected x, y and/or z",
                             j->name);
    snprintf(j->directions, sizeof j->directions, "%s", dir);
    j->have_fp = 1;
    return BF_OK;
}

static bf_status parse_potential(bf_ms_job *j, json_t *p)
{
    static const char *const keys[] = {"gpts", "sampling", "slice_thickness", "parametrization",
                                       "projection", "fft_friendly", "cutoff_tolerance", NULL};
    bf_status st;
    if ((st = want_object(j, p, "potential")) || (st = check_keys(j, p, "potential", keys, 0)))
        return st;
    double g[2] = {0, 0}, s[2] = {0, 0};
    int has_g, has_s;
    const char *param = "lobato", *proj = "infinite";
    if ((st = get_pair(j, p, "potential", "gpts", g, 1, &has_g)) ||
        (st = get_pair(j, p, "potential", "sampling", s, 0, &has_s)) ||
        (st = get_string(j, p, "potential", "parametrization", &param)) ||
        (st = get_string(j, p, "potential", "projection", &proj)) ||
        (st = get_bool(j, p, "potential", "fft_friendly", &j->pot.fft_friendly)) ||
        (st = get_number(j, p, "potential", "cutoff_tolerance", &j->pot.cutoff_tolerance, 1)))
        return st;
    if (!has_g && !has_s)
        return bf__error_set(BF_EINVAL, "%s: potential: give gpts or sampling", j->name);
    for (int k = 0; k < 2; k++) {
        if (has_g && (g[k] < 1 || g[k] > 65536))
            return bf__error_set(BF_EINVAL, "%s: potential.gpts: must be in 1..65536, got %g",
                                 j->name, g[k]);
        if (has_s && !(s[k] > 0))
            return bf__error_set(BF_EINVAL, "%s: potential.sampling: must be positive", j->name);
        j->pot.gpts[k] = has_g ? (int)g[k] : 0;
        j->pot.sampling[k] = s[k];
    }
    if (bf_parametrization_parse(param, &j->pot.parametrization) ||
        bf_projection_parse(proj, &j->pot.projection))
        return bf__error_prefix(BF_EINVAL, "%s: potential: ", j->name);
    json_t *t = json_object_get(p, "slice_thickness");
    if (t && json_is_number(t)) {
        if (!(json_number_value(t) > 0))
            return bf__error_set(BF_EINVAL, "%s: potential.slice_thickness: must be positive",
                                 j->name);
        j->pot.slice_thickness = json_number_value(t);
    } else if (t && json_is_array(t) && json_array_size(t) > 0) {
        size_t n = json_array_size(t);
        j->slice_list = malloc(n * sizeof *j->slice_list);
        if (!j->slice_list)
            return bf__error_set(BF_ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(t, i);
            if (!json_is_number(e) || !(json_number_value(e) > 0))
                return bf__error_set(BF_EINVAL, "%s: potential.slice_thickness[%zu]: expected a "
                                     "positive number", j->name, i);
            j->slice_list[i] = json_number_value(e);
        }
        j->pot.slice_thicknesses = j->slice_list;
        j->pot.num_slice_thicknesses = n;
    } else if (t) {
        return bf__error_set(BF_EINVAL, "%s: potential.slice_thickness: expected a number or a "
                             "list of numbers", j->name);
    }
    return BF_OK;
}

static bf_status parse_aberrations(bf_ms_job *j, json_t *obj, const char *sect,
                                   bf_aberrations *ab, const char *const *skip)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        int skipped = 0;
        for (size_t i = 0; skip[i] && !skipped; i++)
            skipped = strcmp(key, skip[i]) == 0;
        if (skipped)
            continue;
        if (!json_is_number(v))
            return bf__error_set(BF_EINVAL, "%s: %s.%s: expected a number (Å or rad)", j->name,
                                 sect, key);
        if (bf_aberrations_set(ab, key, json_number_value(v)))
            return bf__error_set(BF_EINVAL, "%s: %s.%s: unknown key", j->name, sect, key);
    }
    json_t *sub = json_object_get(obj, "aberrations");
    if (sub) {
        char path[64];
        snprintf(path, sizeof path, "%s.aberrations", sect);
        static const char *const none[] = {NULL};
        if (!json_is_object(sub))
            return bf__error_set(BF_EINVAL, "%s: %s: expected an object", j->name, path);
        return parse_aberrations(j, sub, path, ab, none);
    }
    return BF_OK;
}

static bf_status parse_wave(bf_ms_job *j, json_t *root)
{
    static const char *const pw_keys[] = {"energy", "tilt", NULL};
    static const char *const pr_keys[] = {"energy", "semiangle_cutoff", "soft", "position",
                                          "aberrations", "tilt", NULL};
    bf_status st;
    json_t *pw = json_object_get(root, "plane_wave"), *pr = json_object_get(root, "probe");
    if (!pw == !pr)
        return bf__error_set(BF_EINVAL, "%s: give exactly one of plane_wave or probe", j->name);
    const char *sect = pw ? "plane_wave" : "probe";
    json_t *w = pw ? pw : pr;
    if ((st = want_object(j, w, sect)) ||
        (st = check_keys(j, w, sect, pw ? pw_keys : pr_keys, pr != NULL)))
        return st;
    json_t *e = json_object_get(w, "energy");
    if (!e)
        return bf__error_set(BF_EINVAL, "%s: %s.energy: missing", j->name, sect);
    if ((st = get_number(j, w, sect, "energy", &j->energy, 1)) ||
        (st = get_pair(j, w, sect, "tilt", j->tilt, 0, NULL)))
        return st;
    j->wave = pw ? BF__WAVE_PLANE : BF__WAVE_PROBE;
    if (pr) {
        j->probe.energy = j->energy;
        if ((st = get_number(j, pr, sect, "semiangle_cutoff", &j->probe.semiangle_cutoff, 1)) ||
            (st = get_bool(j, pr, sect, "soft", &j->probe.soft)) ||
            (st = get_pair(j, pr, sect, "position", j->position, 0, &j->have_position)) ||
            (st = parse_aberrations(j, pr, sect, &j->probe.aberrations, pr_keys)))
            return st;
    }
    return BF_OK;
}

static bf_status parse_ctf(bf_ms_job *j, json_t *c)
{
    static const char *const keys[] = {"semiangle_cutoff", "soft", "focal_spread",
                                       "angular_spread", "aberrations", NULL};
    bf_status st;
    if ((st = want_object(j, c, "ctf")) || (st = check_keys(j, c, "ctf", keys, 1)))
        return st;
    j->ctf.energy = j->energy;
    if ((st = get_number(j, c, "ctf", "semiangle_cutoff", &j->ctf.semiangle_cutoff, 1)) ||
        (st = get_bool(j, c, "ctf", "soft", &j->ctf.soft)) ||
        (st = get_number(j, c, "ctf", "focal_spread", &j->ctf.focal_spread, 0)) ||
        (st = get_number(j, c, "ctf", "angular_spread", &j->ctf.angular_spread, 0)) ||
        (st = parse_aberrations(j, c, "ctf", &j->ctf.aberrations, keys)))
        return st;
    if (j->ctf.focal_spread < 0 || j->ctf.angular_spread < 0)
        return bf__error_set(BF_EINVAL, "%s: ctf: spreads must be >= 0", j->name);
    j->have_ctf = 1;
    return BF_OK;
}

static bf_status parse_output(bf_ms_job *j, json_t *o)
{
    static const char *const keys[] = {"file", "exit_wave", "intensity", "potential",
                                       "diffraction", "image", "images", "keep_ensemble", NULL};
    bf_status st;
    if ((st = want_object(j, o, "output")) || (st = check_keys(j, o, "output", keys, 0)) ||
        (st = get_bool(j, o, "output", "keep_ensemble", &j->keep_ensemble)))
        return st;
    for (int k = 0; k < 6; k++) {
        const char *f = NULL;
        if ((st = get_string(j, o, "output", output_keys[k], &f)))
            return st;
        if (f && !(j->out[k] = resolve(j, f)))
            return bf__error_set(BF_ENOMEM, "out of memory");
    }
    json_t *im = json_object_get(o, "images");
    if (im) {
        if (!json_is_array(im))
            return bf__error_set(BF_EINVAL, "%s: output.images: expected [\"png\", \"tiff\"]",
                                 j->name);
        for (size_t i = 0; i < json_array_size(im); i++) {
            const char *s = json_string_value(json_array_get(im, i));
            if (s && !strcmp(s, "png"))
                j->png = 1;
            else if (s && (!strcmp(s, "tiff") || !strcmp(s, "tif")))
                j->tiff = 1;
            else
                return bf__error_set(BF_EINVAL, "%s: output.images[%zu]: expected \"png\" or "
                                     "\"tiff\"", j->name, i);
        }
    }
    return BF_OK;
}

static bf_status parse_root(bf_ms_job *j, json_t *root)
{
    static const char *const keys[] = {"atoms", "frozen_phonons", "potential", "plane_wave",
                                       "probe", "ctf", "scan", "detectors", "output", NULL};
    bf_status st;
    if (!json_is_object(root))
        return bf__error_set(BF_EINVAL, "%s: expected a JSON object", j->name);
    if ((st = check_keys(j, root, "", keys, 0)))
        return st;
    json_t *a = json_object_get(root, "atoms"), *p = json_object_get(root, "potential");
    if (!a)
        return bf__error_set(BF_EINVAL, "%s: atoms: missing", j->name);
    if (!p)
        return bf__error_set(BF_EINVAL, "%s: potential: missing", j->name);
    if ((st = parse_atoms(j, a)))
        return st;
    j->num_configs = j->frames.count;
    json_t *fp = json_object_get(root, "frozen_phonons");
    if (fp && (st = parse_fp(j, fp)))
        return st;
    if ((st = parse_potential(j, p)) || (st = parse_wave(j, root)))
        return st;
    json_t *c = json_object_get(root, "ctf"), *o = json_object_get(root, "output");
    if ((c && (st = parse_ctf(j, c))) || (o && (st = parse_output(j, o))))
        return st;
    j->scan = json_incref(json_object_get(root, "scan"));
    j->detectors = json_incref(json_object_get(root, "detectors"));
    return BF_OK;
}

bf_status bf_ms_job_parse(const char *text, const char *base_dir, const char *name,
                          bf_ms_job **out)
{
    *out = NULL;
    if (!text)
        return bf__error_set(BF_EINVAL, "missing job text");
    bf_ms_job *j = calloc(1, sizeof *j);
    if (!j)
        return bf__error_set(BF_ENOMEM, "out of memory for a job");
    j->name = strdup(name ? name : "job");
    j->dir = strdup(base_dir ? base_dir : "");
    j->text = strdup(text);
    j->ensemble_mean = 1;
    j->probe = (bf_probe_options)BF_PROBE_OPTIONS_INIT;
    j->ctf = (bf_ctf_options)BF_CTF_OPTIONS_INIT;
    j->pot = (bf_potential_options)BF_POTENTIAL_OPTIONS_INIT;
    bf_status st = BF_OK;
    if (!j->name || !j->dir || !j->text) {
        bf_ms_job_destroy(j);
        return bf__error_set(BF_ENOMEM, "out of memory for a job");
    }
    json_error_t err;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        st = bf__error_set(BF_EFORMAT, "%s:%d: %s", j->name, err.line, err.text);
    else
        st = parse_root(j, root);
    json_decref(root);
    if (st) {
        bf_ms_job_destroy(j);
        return st;
    }
    *out = j;
    return BF_OK;
}

bf_status bf_ms_job_load(const char *path, bf_ms_job **out)
{
    *out = NULL;
    char *text;
    size_t len;
    bf_status st = bf__ms_read_file(path, &text, &len);
    if (st)
        return st;
    char *dir = strdup(path);
    if (!dir) {
        free(text);
        return bf__error_set(BF_ENOMEM, "out of memory");
    }
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        dir[0] = '\0';
    st = bf_ms_job_parse(text, dir, path, out);
    free(dir);
    free(text);
    return st;
}

void bf_ms_job_destroy(bf_ms_job *j)
{
    if (!j)
        return;
    bf_frames_free(&j->frames);
    for (int k = 0; k < 6; k++)
        free(j->out[k]);
    free(j->sigmas);
    free(j->slice_list);
    free(j->name);
    free(j->dir);
    free(j->text);
    json_decref(j->scan);
    json_decref(j->detectors);
    free(j);
}

size_t bf_ms_job_num_configs(const bf_ms_job *j) { return j->num_configs; }

const bf_potential_options *bf_ms_job_potential_options(const bf_ms_job *j) { return &j->pot; }

const char *bf_ms_job_output(const bf_ms_job *j, const char *key)
{
    for (int k = 0; k < 6 && key; k++)
        if (!strcmp(key, output_keys[k]))
            return j->out[k];
    return NULL;
}

bf_status bf_ms_job_atoms(const bf_ms_job *j, size_t config, bf_atoms **out)
{
    *out = NULL;
    if (config >= j->num_configs)
        return bf__error_set(BF_EINVAL, "configuration %zu out of range (%zu)", config,
                             j->num_configs);
    if (j->have_fp)
        return bf_frozen_phonons_displace(j->frames.frames[0], j->sigmas, j->directions, j->seed,
                                          config, out);
    const bf_atoms *a = j->frames.frames[config];
    return bf_atoms_create(bf_atoms_count(a), bf_atoms_numbers(a), bf_atoms_positions(a),
                           bf_atoms_cell(a), out);
}
